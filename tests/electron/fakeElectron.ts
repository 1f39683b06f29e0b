// A small fake of the parts of the Electron API the shell configures, recording what is set so a
// test can play the events Electron would fire. The Electron binary cannot run on the build
// machines; the shell's modules take these objects as parameters (only types come from 'electron').
import type { BrowserWindow, BrowserWindowConstructorOptions, Session, WebContents } from 'electron';

type Listener = (...args: any[]) => unknown;

/** An event as Electron passes it to will-navigate and friends. */
export interface FakeEvent {
  prevented: boolean;
  preventDefault(): void;
}

export function fakeEvent(): FakeEvent {
  return {
    prevented: false,
    preventDefault() {
      this.prevented = true;
    },
  };
}

export class FakeWebContents {
  readonly listeners = new Map<string, Listener[]>();
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  webRtcPolicy: string | null = null;
  /** Called by printToPDF: a test exercises the session while "the page" is loaded. */
  onPrint: (options: unknown) => Promise<void> | void = () => {};
  printOptions: unknown = null;
  ready = true;

  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
  setWebRTCIPHandlingPolicy(policy: string): void {
    this.webRtcPolicy = policy;
  }
  async executeJavaScript(): Promise<boolean> {
    return this.ready;
  }
  async printToPDF(options: unknown): Promise<Buffer> {
    this.printOptions = options;
    await this.onPrint(options);
    return Buffer.from('%PDF-1.4 fake\n');
  }
  /** Fires `event` at every listener with a fresh event object; returns it (was it prevented?). */
  emit(event: string, ...args: unknown[]): FakeEvent {
    const e = fakeEvent();
    for (const l of this.listeners.get(event) ?? []) l(e, ...args);
    return e;
  }
  asWebContents(): WebContents {
    return this as unknown as WebContents;
  }
}

type Handler = (request: Request) => Response | Promise<Response>;

export class FakeSession {
  readonly handlers = new Map<string, Handler>();
  readonly unhandled: string[] = [];
  beforeRequest: ((details: { url: string; method: string }, callback: (r: { cancel: boolean }) => void) => void) | null = null;
  beforeRequestCalls = 0;
  headersReceived: ((details: { responseHeaders?: Record<string, string[]> }, callback: (r: { responseHeaders: Record<string, string[]> }) => void) => void) | null = null;
  permissionRequest: ((wc: unknown, permission: string, callback: (granted: boolean) => void) => void) | null = null;
  permissionCheck: ((wc: unknown, permission: string, origin: string) => boolean) | null = null;
  devicePermission: ((details: unknown) => boolean) | null = null;
  readonly cleared: string[] = [];

  readonly protocol = {
    handle: (scheme: string, handler: Handler) => {
      if (this.handlers.has(scheme)) throw new Error(`${scheme} is already handled`);
      this.handlers.set(scheme, handler);
    },
    unhandle: (scheme: string) => {
      this.handlers.delete(scheme);
      this.unhandled.push(scheme);
    },
  };
  readonly webRequest = {
    onBeforeRequest: (listener: FakeSession['beforeRequest']) => {
      this.beforeRequestCalls++;
      this.beforeRequest = listener;
    },
    onHeadersReceived: (listener: FakeSession['headersReceived']) => {
      this.headersReceived = listener;
    },
  };
  setPermissionRequestHandler(handler: FakeSession['permissionRequest']): void {
    this.permissionRequest = handler;
  }
  setPermissionCheckHandler(handler: FakeSession['permissionCheck']): void {
    this.permissionCheck = handler;
  }
  setDevicePermissionHandler(handler: FakeSession['devicePermission']): void {
    this.devicePermission = handler;
  }
  async clearStorageData(): Promise<void> {
    this.cleared.push('storage');
  }
  async clearCache(): Promise<void> {
    this.cleared.push('cache');
  }

  /** What the request filter decides for `url` (true: let it through). */
  allows(url: string, method = 'GET'): boolean {
    let cancel: boolean | undefined;
    this.beforeRequest!({ url, method }, (r) => (cancel = r.cancel));
    return cancel === false;
  }
  /** What the protocol handler for `scheme` answers. */
  async fetch(url: string): Promise<Response> {
    const scheme = new URL(url).protocol.slice(0, -1);
    const handler = this.handlers.get(scheme);
    if (!handler) throw new Error(`no handler for ${scheme}`);
    return handler(new Request(url));
  }
  asSession(): Session {
    return this as unknown as Session;
  }
}

export class FakeWindow {
  readonly webContents = new FakeWebContents();
  destroyed = false;
  loaded: string | null = null;
  constructor(readonly options: BrowserWindowConstructorOptions) {}
  async loadURL(url: string): Promise<void> {
    this.loaded = url;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  destroy(): void {
    this.destroyed = true;
  }
  asWindow(): BrowserWindow {
    return this as unknown as BrowserWindow;
  }
}
