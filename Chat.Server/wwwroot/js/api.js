// The HTTP side of the protocol (docs/PROTOCOL.md, section 2), as the page uses it. The session is the HttpOnly
// cookie the server sets: the page never sees the token (it logs in with "cookieOnly"), and every request here
// carries the cookie because it goes to the page's own origin.

/** An HTTP answer that was not a success, with the server's error code and message. */
export class HttpError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

async function call(method, path, body) {
  let answer;
  try {
    answer = await fetch(path, {
      method,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new HttpError(0, 'offline', 'the server cannot be reached', null);
  }

  if (answer.ok) {
    return answer.status === 204 ? null : answer.json();
  }

  let error = { error: 'internal', message: `the server answered ${answer.status}` };
  try {
    error = await answer.json();
  } catch {
    // Not the server's JSON (a proxy's page): the status says enough.
  }

  throw new HttpError(answer.status, error.error, error.message, answer.headers.get('Retry-After'));
}

/** Whose the cookie's session is: {user, expiresAt}, or null when there is none (401). */
export async function currentSession() {
  try {
    return await call('GET', '/api/session');
  } catch (error) {
    if (error.status === 401) {
      return null;
    }

    throw error;
  }
}

export const register = (username, password) => call('POST', '/api/register', { username, password });

/** Logs in; the answer sets the cookie and holds no token. */
export const login = (username, password) => call('POST', '/api/login', { username, password, cookieOnly: true });

export const logout = () => call('POST', '/api/logout');

export const logoutEverywhere = () => call('POST', '/api/logout-all');
