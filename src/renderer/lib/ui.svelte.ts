// Small pieces of UI state shared across views.
class Ui {
  /** The keyboard help overlay; while open, view shortcuts are paused. */
  helpOpen = $state(false);
}

export const ui = new Ui();
