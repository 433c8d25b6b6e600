/** Keystone's error format: {"error": {"code", "title", "message"}}. */

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Request Entity Too Large',
  500: 'Internal Server Error',
};

export class KeystoneError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'KeystoneError';
  }
}

export interface KeystoneErrorBody {
  error: { code: number; title: string; message: string };
}

export function keystoneErrorBody(status: number, message: string): KeystoneErrorBody {
  return { error: { code: status, title: TITLES[status] ?? 'Error', message } };
}

/** The one 401 message, whatever failed: the answer tells nobody which user names exist. */
export const UNAUTHORIZED_MESSAGE = 'The request you have made requires authentication.';

export const unauthorized = () => new KeystoneError(401, UNAUTHORIZED_MESSAGE);
export const badRequest = (message: string) => new KeystoneError(400, message);
export const forbiddenAction = (action: string) =>
  new KeystoneError(403, `You are not authorized to perform the requested action: ${action}.`);
export const notFound = (kind: string, id: string) => new KeystoneError(404, `Could not find ${kind}: ${id}.`);
export const conflict = (message: string) => new KeystoneError(409, `Conflict occurred attempting to store ${message}`);
