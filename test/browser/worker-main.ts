/**
 * The convention for worker entries bundled by test/helpers/browser.ts: an
 * entry calls `serveTest(main)` and exports nothing. The page posts one input;
 * the worker posts back `{ ok: true, result }` or `{ ok: false, error }`.
 */
export function serveTest(main: (input: any) => Promise<unknown>): void {
  self.onmessage = async (event: MessageEvent) => {
    try {
      const result = await main(event.data);
      postMessage({ ok: true, result });
    } catch (error) {
      postMessage({ ok: false, error: String((error as Error)?.stack ?? error) });
    }
  };
}
