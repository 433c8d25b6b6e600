/** Errors the API turns into Octavia's fault body: {"faultcode", "faultstring", "debuginfo"}. */

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get faultcode(): 'Client' | 'Server' {
    return this.statusCode >= 500 ? 'Server' : 'Client';
  }
}

export const badRequest = (msg: string) => new ApiError(400, msg);
export const validationFailure = (msg: string) => new ApiError(400, `Validation failure: ${msg}`);
export const forbidden = (msg = 'Policy does not allow this request to be performed.') => new ApiError(403, msg);
export const notFound = (msg: string) => new ApiError(404, msg);
export const conflict = (msg: string) => new ApiError(409, msg);

export interface FaultBody {
  faultcode: 'Client' | 'Server';
  faultstring: string;
  debuginfo: null;
}

export function faultBody(statusCode: number, message: string): FaultBody {
  return { faultcode: statusCode >= 500 ? 'Server' : 'Client', faultstring: message, debuginfo: null };
}
