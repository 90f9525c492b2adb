/**
 * One error class for everything streampath raises, with the gRPC status
 * codes, so an error keeps its meaning across every boundary (codec, wire,
 * worker bridge).
 */
export enum Code {
  Ok = 0,
  Canceled = 1,
  Unknown = 2,
  InvalidArgument = 3,
  DeadlineExceeded = 4,
  NotFound = 5,
  AlreadyExists = 6,
  PermissionDenied = 7,
  ResourceExhausted = 8,
  FailedPrecondition = 9,
  Aborted = 10,
  OutOfRange = 11,
  Unimplemented = 12,
  Internal = 13,
  Unavailable = 14,
  DataLoss = 15,
  Unauthenticated = 16,
}

/**
 * One `google.protobuf.Any` of a status's details: the message's full type
 * name (no `type.googleapis.com/` prefix) and its binary encoding. Build one
 * with `errorDetail(codec, message)`, read them with `findDetails(error, codec)`.
 */
export interface ErrorDetail {
  readonly type: string;
  readonly value: Uint8Array;
}

export class StreampathError extends Error {
  override readonly name = "StreampathError";
  readonly code: Code;
  /**
   * Typed details of the failure (`google.rpc.Status.details`): sent in
   * `grpc-status-details-bin` (gRPC, gRPC-Web) and Connect's error `details`.
   */
  readonly details: readonly ErrorDetail[];

  constructor(code: Code, message: string, options?: { cause?: unknown; details?: readonly ErrorDetail[] }) {
    super(message, options);
    this.code = code;
    this.details = options?.details ?? [];
  }

  /** The status line as gRPC tools print it: `[invalid_argument] message`. */
  override toString(): string {
    return `${this.name}: [${codeName(this.code)}] ${this.message}`;
  }

  /**
   * Wraps anything thrown into a StreampathError, keeping an existing one as
   * it is; an AbortError becomes Canceled, anything else Unknown.
   */
  static from(reason: unknown, fallback: Code = Code.Unknown): StreampathError {
    if (reason instanceof StreampathError) return reason;
    if (reason instanceof Error) {
      if (reason.name === "AbortError") {
        return new StreampathError(Code.Canceled, reason.message, { cause: reason });
      }
      if (reason.name === "TimeoutError") {
        return new StreampathError(Code.DeadlineExceeded, reason.message, { cause: reason });
      }
      return new StreampathError(fallback, reason.message, { cause: reason });
    }
    return new StreampathError(fallback, String(reason), { cause: reason });
  }
}

/** `Code.InvalidArgument` → `"invalid_argument"`, the Connect protocol's spelling. */
export function codeName(code: Code): string {
  const name = Code[code];
  if (name === undefined) return `code_${code}`;
  if (code === Code.Canceled) return "canceled";
  return name.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? "" : "_") + c.toLowerCase());
}

/** `"invalid_argument"` → `Code.InvalidArgument`; undefined for a name that is no code. */
export function codeFromName(name: string): Code | undefined {
  for (let code = Code.Ok; code <= Code.Unauthenticated; code++) if (codeName(code) === name) return code;
  return undefined;
}

/**
 * The code of an HTTP status that came without a status of its own (a proxy's
 * error page, say), as the gRPC and Connect specs map them: 400 is
 * `internal`, not `invalid_argument`, since the request may have been fine.
 */
export function codeOfHttpStatus(status: number | undefined): Code {
  switch (status) {
    case 400: return Code.Internal;
    case 401: return Code.Unauthenticated;
    case 403: return Code.PermissionDenied;
    case 404: return Code.Unimplemented;
    case 429: case 502: case 503: case 504: return Code.Unavailable;
    default: return Code.Unknown;
  }
}
