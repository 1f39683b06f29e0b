"""Work folders live only inside the app's training folder.

A checkpoint is read back on --resume; keeping every work folder inside one folder the app owns
(and refusing the rest, after resolving symbolic links) means a resume can never be pointed at a
folder someone else prepared. The app checks the same rule before it starts the trainer
(confineRunFolder in src/main/training/paths.ts).
"""
import os


class WorkdirError(ValueError):
    pass


def confine(workdir, root):
    """The real path of ``workdir``, which must lie strictly inside ``root`` once every symbolic
    link is resolved; creates neither. Raises WorkdirError otherwise."""
    if not os.path.isdir(root):
        raise WorkdirError("the training folder %s does not exist" % root)
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(real_root, workdir) if not os.path.isabs(workdir) else workdir)
    if real == real_root or os.path.commonpath([real_root, real]) != real_root:
        shown = os.path.abspath(workdir)
        raise WorkdirError("the work folder %s%s is outside the app's training folder %s; runs are kept only there, so that "
                           "a checkpoint is never read back from a folder others can write to"
                           % (shown, " (really %s)" % real if real != shown else "", real_root))
    return real
