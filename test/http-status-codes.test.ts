/**
 * An HTTP status without a status of its own (a proxy's page) means the same
 * code to a guest and to a host link: the gRPC/Connect mapping, where 400 is
 * internal. A Connect JSON error body, when there is one, wins.
 */
import test from "ava";
import { Code } from "../runtime/core/index.js";
import { codeOfHttpStatus } from "../runtime/core/error.js";
import { responseError } from "../runtime/guest/http.js";
import { connectError } from "../runtime/host/link-protocol.js";

const EXPECTED: [number, Code][] = [
  [400, Code.Internal],
  [401, Code.Unauthenticated],
  [403, Code.PermissionDenied],
  [404, Code.Unimplemented],
  [408, Code.Unknown],
  [429, Code.Unavailable],
  [500, Code.Unknown],
  [502, Code.Unavailable],
  [503, Code.Unavailable],
  [504, Code.Unavailable],
  [418, Code.Unknown],
];

test("guest and link map bare HTTP statuses alike", async (t) => {
  for (const [status, code] of EXPECTED) {
    t.is(codeOfHttpStatus(status), code, `HTTP ${status}`);
    const guest = await responseError(new Response("<html>proxy error</html>", { status }), "https://h/x");
    t.is(guest.code, code, `guest, HTTP ${status}`);
    t.regex(guest.message, new RegExp(`HTTP ${status}`));
    t.is(connectError("https://h/x", status, undefined).code, code, `link, HTTP ${status}`);
  }
  t.is(codeOfHttpStatus(undefined), Code.Unknown);
});

test("a Connect JSON error body wins over the HTTP status", async (t) => {
  const body = JSON.stringify({ code: "invalid_argument", message: "bad id" });
  const guest = await responseError(new Response(body, { status: 400 }), "https://h/x");
  t.like(guest, { code: Code.InvalidArgument, message: "bad id" });
  t.like(connectError("https://h/x", 400, JSON.parse(body)), { code: Code.InvalidArgument, message: "bad id" });
});
