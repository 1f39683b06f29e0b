import type { Protocol } from 'electron';
import { MEDIA_SCHEME } from '../../contract/channels';
import type { MediaKind } from '../../contract/ipc';
import type { AppServices } from '../services';
import { MEDIA_CACHE_CONTROL } from '../services/media';

const KINDS = new Set<MediaKind>(['original', 'thumb', 'ela', 'ela-preview']);

/** evidence://<id>/<kind>?v=<version> → the same bytes the test server serves at /media/<id>/<kind>. */
export function handleMediaProtocol(services: AppServices, protocol: Pick<Protocol, 'handle'>): void {
  protocol.handle(MEDIA_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.hostname === 'eval') {
      const [evaluationId, item, kind] = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      const media = kind === 'thumb' || kind === 'original' ? await services.evaluationMedia(evaluationId, Number(item), kind) : null;
      if (!media) return new Response('not found', { status: 404 });
      return new Response(new Uint8Array(media.body), { headers: { 'content-type': media.contentType, 'cache-control': MEDIA_CACHE_CONTROL } });
    }
    const id = Number(url.hostname);
    const kind = url.pathname.replace(/^\//, '') as MediaKind;
    if (!Number.isInteger(id) || !KINDS.has(kind)) return new Response('not found', { status: 404 });
    const media = await services.media(id, kind, url.searchParams.get('v') ?? undefined);
    if (!media) return new Response('not found', { status: 404 });
    return new Response(new Uint8Array(media.body), { headers: { 'content-type': media.contentType, 'cache-control': MEDIA_CACHE_CONTROL } });
  });
}
