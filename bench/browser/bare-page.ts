// A page Playwright does not instrument. Playwright enables CDP's Network
// domain on its pages and their workers, so Chromium reports every request
// chunk and every WebSocket frame to the driver as an event: at 64-byte
// WebSocket messages that costs the browser process and the driver more CPU
// than the WebSocket itself. A page in a browser context created over CDP
// is one Playwright does not know, so it detaches from it at once; we drive
// it through the browser's CDP session with the few commands we need, over
// non-flattened sessions (Target.sendMessageToTarget), since Playwright's
// CDP sessions cannot address child sessions.
import type { Browser, CDPSession } from "playwright-core";

/** A CDP session to one target: commands, and one handler per event. */
export interface TargetSession {
  send<T = any>(method: string, params?: object): Promise<T>;
  on(method: string, handler: (params: any) => void): void;
  detach(): Promise<void>;
}

export interface BarePage {
  /** Runtime.evaluate with awaitPromise and returnByValue. */
  evaluate<T>(expression: string): Promise<T>;
  /** A session to the page's dedicated worker (for the profiler). */
  workerSession(timeoutMs?: number): Promise<TargetSession>;
  /** The page's own session (for the profiler on the window's thread). */
  readonly pageSession: Pick<TargetSession, "send">;
  close(): Promise<void>;
}

interface Message {
  id?: number;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { message: string };
}

/**
 * A session whose messages travel inside `Target.sendMessageToTarget` of a
 * parent (Playwright's browser session, or another TargetSession), and whose
 * replies and events come back in `Target.receivedMessageFromTarget`.
 */
function nestedSession(
  parent: {
    send(method: string, params: object): Promise<unknown>;
    on(method: string, handler: (params: any) => void): void;
    off(method: string, handler: (params: any) => void): void;
  },
  sessionId: string,
): TargetSession {
  let nextId = 1;
  const waiting = new Map<
    number,
    { resolve: (v: any) => void; reject: (e: Error) => void }
  >();
  const events = new Map<string, (params: any) => void>();
  const onMessage = (event: { sessionId: string; message: string }) => {
    if (event.sessionId !== sessionId) return;
    const message = JSON.parse(event.message) as Message;
    if (message.method) events.get(message.method)?.(message.params);
    const entry =
      message.id === undefined ? undefined : waiting.get(message.id);
    if (!entry) return;
    waiting.delete(message.id!);
    if (message.error) entry.reject(new Error(message.error.message));
    else entry.resolve(message.result);
  };
  const onDetached = (event: { sessionId: string }) => {
    if (event.sessionId !== sessionId) return;
    for (const entry of waiting.values())
      entry.reject(new Error("the target went away"));
    waiting.clear();
  };
  parent.on("Target.receivedMessageFromTarget", onMessage);
  parent.on("Target.detachedFromTarget", onDetached);
  return {
    send<T>(method: string, params: object = {}): Promise<T> {
      const id = nextId++;
      const reply = new Promise<T>((resolve, reject) =>
        waiting.set(id, { resolve, reject }),
      );
      parent
        .send("Target.sendMessageToTarget", {
          sessionId,
          message: JSON.stringify({ id, method, params }),
        })
        .catch((error: Error) => {
          waiting.get(id)?.reject(error);
          waiting.delete(id);
        });
      return reply;
    },
    on(method, handler) {
      events.set(method, handler);
    },
    async detach() {
      parent.off("Target.receivedMessageFromTarget", onMessage);
      parent.off("Target.detachedFromTarget", onDetached);
      await parent
        .send("Target.detachFromTarget", { sessionId })
        .catch(() => undefined);
    },
  };
}

/** Playwright's CDPSession as a parent of nested sessions. */
function browserParent(cdp: CDPSession) {
  return {
    send: (method: string, params: object) =>
      cdp.send(method as "Target.sendMessageToTarget", params as never),
    on: (method: string, handler: (params: any) => void) =>
      cdp.on(method as "Target.receivedMessageFromTarget", handler),
    off: (method: string, handler: (params: any) => void) =>
      cdp.off(method as "Target.receivedMessageFromTarget", handler),
  };
}

/** A TargetSession as a parent: its events, one handler per method. */
function sessionParent(session: TargetSession) {
  const handlers = new Map<string, Set<(params: any) => void>>();
  const dispatch = (method: string) => (params: unknown) => {
    for (const handler of handlers.get(method) ?? []) handler(params);
  };
  return {
    send: (method: string, params: object) => session.send(method, params),
    on(method: string, handler: (params: any) => void) {
      if (!handlers.has(method)) {
        handlers.set(method, new Set());
        session.on(method, dispatch(method));
      }
      handlers.get(method)!.add(handler);
    },
    off(method: string, handler: (params: any) => void) {
      handlers.get(method)?.delete(handler);
    },
  };
}

/**
 * Opens `url` in a fresh browser context of `browser` that Playwright does
 * not know. Certificate errors are ignored by the launch flag
 * `--ignore-certificate-errors` (test/helpers/browser.ts passes it).
 */
export async function openBarePage(
  browser: Browser,
  url: string,
  timeoutMs = 30_000,
): Promise<BarePage> {
  const cdp = await browser.newBrowserCDPSession();
  const { browserContextId } = await cdp.send("Target.createBrowserContext", {
    disposeOnDetach: true,
  });
  const { targetId } = await cdp.send("Target.createTarget", {
    url: "about:blank",
    browserContextId,
  });
  const { sessionId } = await cdp.send("Target.attachToTarget", {
    targetId,
    flatten: false,
  });
  const page = nestedSession(browserParent(cdp), sessionId);
  const loaded = new Promise<void>((resolve) =>
    page.on("Page.loadEventFired", () => resolve()),
  );
  await page.send("Page.enable");
  const { errorText } = await page.send<{ errorText?: string }>(
    "Page.navigate",
    { url },
  );
  if (errorText) throw new Error(`cannot open ${url}: ${errorText}`);
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    loaded,
    new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${url} did not load within ${timeoutMs} ms`)),
        timeoutMs,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  // Page events are no longer needed: only our commands cross from now on.
  await page.send("Page.disable");

  return {
    pageSession: page,
    async evaluate<T>(expression: string): Promise<T> {
      const reply = await page.send<{
        result: { value?: unknown };
        exceptionDetails?: {
          text: string;
          exception?: { description?: string };
        };
      }>("Runtime.evaluate", {
        expression,
        awaitPromise: true,
        returnByValue: true,
      });
      if (reply.exceptionDetails)
        throw new Error(
          reply.exceptionDetails.exception?.description ??
            reply.exceptionDetails.text,
        );
      return reply.result.value as T;
    },
    async workerSession(timeoutMs = 10_000): Promise<TargetSession> {
      // Dedicated workers are the page's children: auto-attach finds them.
      const parent = sessionParent(page);
      const attached = new Promise<string>((resolve) =>
        parent.on(
          "Target.attachedToTarget",
          (event: { sessionId: string; targetInfo: { type: string } }) => {
            if (event.targetInfo.type === "worker") resolve(event.sessionId);
          },
        ),
      );
      await page.send("Target.setAutoAttach", {
        autoAttach: true,
        waitForDebuggerOnStart: false,
        flatten: false,
      });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const workerId = await Promise.race([
        attached,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error("the page's worker did not show up")),
            timeoutMs,
          );
        }),
      ]).finally(() => clearTimeout(timer));
      return nestedSession(parent, workerId);
    },
    close: async () => {
      await cdp.send("Target.closeTarget", { targetId }).catch(() => undefined);
      await page.detach();
      await cdp
        .send("Target.disposeBrowserContext", { browserContextId })
        .catch(() => undefined);
      await cdp.detach().catch(() => undefined);
    },
  };
}
