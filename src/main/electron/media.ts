import type { Protocol } from 'electron';
import { MEDIA_SCHEME } from '../../contract/channels';
import { parseMediaUrl } from '../../contract/media';
import { MEDIA_CACHE_CONTROL, type AppServices } from '../services';

/** evidence://media/<path> → the same bytes (or refusal) the test server answers at /media/<path>. */
export function handleMediaProtocol(services: AppServices, protocol: Pick<Protocol, 'handle'>): void {
  protocol.handle(MEDIA_SCHEME, async (request) => {
    const ref = parseMediaUrl(request.url);
    if (!ref) return new Response('not found', { status: 404 });
    const answer = await services.media(ref);
    if (!answer.ok) return new Response(answer.message, { status: answer.status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } });
    return new Response(new Uint8Array(answer.body), { headers: { 'content-type': answer.contentType, 'cache-control': MEDIA_CACHE_CONTROL } });
  });
}
