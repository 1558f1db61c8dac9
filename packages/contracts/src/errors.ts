/** Error codes of the public API (spec 004), carried across NATS as typed RPC errors. */
export enum ErrorCode {
  UNAUTHORIZED = 'UNAUTHORIZED',
  FORBIDDEN = 'FORBIDDEN',
  TOO_MANY_REQUESTS = 'TOO_MANY_REQUESTS',
  BAD_REQUEST = 'BAD_REQUEST',
  NOT_FOUND = 'NOT_FOUND',
  CONFLICT = 'CONFLICT',
  /** The thing existed and is gone for good (a stored output past its retention). */
  GONE = 'GONE',
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
}

export const HTTP_STATUS_OF: Record<ErrorCode, number> = {
  [ErrorCode.UNAUTHORIZED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.TOO_MANY_REQUESTS]: 429,
  [ErrorCode.BAD_REQUEST]: 400,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.CONFLICT]: 409,
  [ErrorCode.GONE]: 410,
  [ErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCode.INTERNAL_SERVER_ERROR]: 500,
  [ErrorCode.SERVICE_UNAVAILABLE]: 503,
};

/** The shape an RPC error takes on the wire. */
export interface RpcErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** Thrown by domain code; the messaging layer turns it into an RpcErrorBody. */
export class DomainError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DomainError';
  }
  toBody(): RpcErrorBody {
    return { code: this.code, message: this.message, ...(this.details !== undefined ? { details: this.details } : {}) };
  }
}

export function isRpcErrorBody(x: unknown): x is RpcErrorBody {
  return !!x && typeof x === 'object' && typeof (x as any).code === 'string' && (x as any).code in HTTP_STATUS_OF && typeof (x as any).message === 'string';
}

export const badRequest = (m: string, d?: unknown) => new DomainError(ErrorCode.BAD_REQUEST, m, d);
export const notFound = (m: string) => new DomainError(ErrorCode.NOT_FOUND, m);
