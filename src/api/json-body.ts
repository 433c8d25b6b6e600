import { ApiError } from '../common/errors.js';

/** Deeper than this, a body is refused before parsing: nobody's load balancer is 1000 levels deep. */
const MAX_DEPTH = 1000;

/**
 * Parse a request body as JSON with Octavia's fault for anything unusable. Besides invalid JSON this
 * refuses absurd nesting (which would exhaust the stack of every recursive walk after it) and NUL
 * characters (PostgreSQL cannot store them in text, and no Octavia field may hold one).
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  const invalid = () => new ApiError(400, 'Request is not in valid JSON format');
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) {
        if (text.startsWith('u0000', i + 1)) throw invalid();
        i++;
      } else if (c === 0x22 /* " */) inString = false;
      else if (c === 0) throw invalid();
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > MAX_DEPTH) throw invalid();
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw invalid();
  }
}
