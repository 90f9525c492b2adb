// A page Playwright does not instrument. Playwright enables CDP's Network
// domain on its pages and their workers, so Chromium reports every request
// chunk and every WebSocket frame to the driver as an event: at 64-byte
// WebSocket messages that costs the browser process and the driver more CPU
// than the WebSocket itself. A page in a browser context created over CDP
// is one Playwright does not know, so it detaches from it at once; we drive
// it through the browser's CDP session with the few commands we need
// (Target.sendMessageToTarget, i.e. a non-flattened session, since
// Playwright's CDP sessions cannot address child sessions).
import type { Browser, CDPSession } from "playwright-core";

export interface BarePage {
  /** Runtime.evaluate with awaitPromise and returnByValue. */
  evaluate<T>(expression: string): Promise<T>;
  close(): Promise<void>;
}

interface TargetMessage {
  id?: number;
  method?: string;
  result?: any;
  error?: { message: string };
}

/** A non-flattened CDP session to one target, through `cdp`. */
export async function attach(cdp: CDPSession, targetId: string) {
  const { sessionId } = await cdp.send("Target.attachToTarget", {
    targetId,
    flatten: false,
  });
  let nextId = 1;
  const waiting = new Map<
    number,
    { resolve: (v: any) => void; reject: (e: Error) => void }
  >();
  const events = new Map<string, (params: any) => void>();
  const onMessage = (event: { sessionId: string; message: string }) => {
    if (event.sessionId !== sessionId) return;
    const message = JSON.parse(event.message) as TargetMessage & {
      params?: unknown;
    };
    if (message.method) events.get(message.method)?.(message.params);
    const entry =
      message.id === undefined ? undefined : waiting.get(message.id);
    if (!entry) return;
    waiting.delete(message.id!);
    if (message.error) entry.reject(new Error(message.error.message));
    else entry.resolve(message.result);
  };
  cdp.on("Target.receivedMessageFromTarget", onMessage);
  const onDetached = (event: { sessionId: string }) => {
    if (event.sessionId !== sessionId) return;
    for (const entry of waiting.values())
      entry.reject(new Error("the target went away"));
    waiting.clear();
  };
  cdp.on("Target.detachedFromTarget", onDetached);
  return {
    send<T = any>(method: string, params: object = {}): Promise<T> {
      const id = nextId++;
      const reply = new Promise<T>((resolve, reject) =>
        waiting.set(id, { resolve, reject }),
      );
      void cdp
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
    /** Runs `handler` on each `method` event of this target. */
    on(method: string, handler: (params: any) => void): void {
      events.set(method, handler);
    },
    async detach(): Promise<void> {
      cdp.off("Target.receivedMessageFromTarget", onMessage);
      cdp.off("Target.detachedFromTarget", onDetached);
      await cdp
        .send("Target.detachFromTarget", { sessionId })
        .catch(() => undefined);
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
  const page = await attach(cdp, targetId);
  const evaluate = async <T>(expression: string): Promise<T> => {
    const reply = await page.send<{
      result: { value?: unknown; description?: string };
      exceptionDetails?: { text: string; exception?: { description?: string } };
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
  };
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
    evaluate,
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
