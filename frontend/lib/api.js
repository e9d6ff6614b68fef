// HTTP client of the Podium API: JSON in and out, RFC 7807 problems turned into `Problem`
// errors that keep `code`, the per-item `errors` list and every extension member (`data`,
// e.g. the `missing` marks of a refused lock), and uploads with progress.

export const API = '/api/v1';

/** An error the API answered with (or `status` 0 and code `network_error` when it did not). */
export class Problem extends Error {
  constructor({ status = 0, code = 'error', title = '', detail = '', errors = [], type = 'about:blank', data = {} } = {}) {
    super(detail || title || code);
    this.name = 'Problem';
    this.status = status;
    this.code = code;
    this.title = title;
    this.detail = detail;
    this.errors = Array.isArray(errors) ? errors : [];
    this.type = type;
    /** The whole problem body: extension members such as `missing` or `entries`. */
    this.data = data && typeof data === 'object' ? data : {};
  }

  /** True when the request never got an answer (offline, server down): worth retrying. */
  get network() {
    return this.status === 0;
  }
}

/** Builds a path under /api/v1 from segments, each URL-encoded. */
export function path(...segments) {
  return `${API}/${segments.map((s) => encodeURIComponent(String(s))).join('/')}`;
}

/** Adds a query string, leaving out empty values. */
export function withQuery(url, query) {
  if (!query) return url;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const text = params.toString();
  return text ? `${url}?${text}` : url;
}

/** Turns a response body into a `Problem`, whatever shape the error came in. */
export function parseProblem(status, text, contentType = '') {
  let body = null;
  if (text && (contentType.includes('json') || text.trim().startsWith('{'))) {
    try { body = JSON.parse(text); } catch { body = null; }
  }
  if (body && typeof body === 'object') {
    return new Problem({
      status: body.status || status,
      code: body.code || `http_${status}`,
      title: body.title || '',
      detail: body.detail || '',
      errors: body.errors || [],
      type: body.type,
      data: body,
    });
  }
  return new Problem({ status, code: `http_${status}`, title: `HTTP ${status}`, detail: (text || '').slice(0, 300) });
}

/**
 * request('POST', path('competitions', 'DEMO', 'marks'), {token, body})
 * Resolves with the parsed JSON (or text for non-JSON answers, null for 204); rejects with a Problem.
 */
export async function request(method, url, { token, body, query, contentType, signal, accept } = {}) {
  const headers = { Accept: accept || 'application/json, application/problem+json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    if (typeof body === 'string' || body instanceof Blob) {
      payload = body;
      headers['Content-Type'] = contentType || 'text/plain';
    } else {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
  }
  let response;
  try {
    response = await fetch(withQuery(url, query), { method, headers, body: payload, signal, cache: 'no-store', credentials: 'same-origin' });
  } catch (error) {
    if (error && error.name === 'AbortError') throw error;
    throw new Problem({ status: 0, code: 'network_error', detail: String(error && error.message || error) });
  }
  const type = response.headers.get('Content-Type') || '';
  const text = response.status === 204 ? '' : await response.text();
  if (!response.ok) throw parseProblem(response.status, text, type);
  if (!text) return null;
  if (type.includes('json')) return JSON.parse(text);
  return text;
}

export const get = (url, options) => request('GET', url, options);
export const post = (url, body, options = {}) => request('POST', url, { ...options, body });
export const put = (url, body, options = {}) => request('PUT', url, { ...options, body });
export const del = (url, options) => request('DELETE', url, options);

/**
 * Sends a body with XMLHttpRequest so the page can show upload progress (fetch cannot).
 * `onProgress(fraction)` gets 0..1; resolves with parsed JSON; rejects with a Problem.
 */
export function upload(method, url, { token, body, contentType = 'application/json', onProgress } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.setRequestHeader('Accept', 'application/json, application/problem+json');
    xhr.setRequestHeader('Content-Type', contentType);
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    if (onProgress) {
      xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); });
      xhr.upload.addEventListener('load', () => onProgress(1));
    }
    xhr.addEventListener('load', () => {
      const type = xhr.getResponseHeader('Content-Type') || '';
      if (xhr.status >= 200 && xhr.status < 300) {
        try { resolve(xhr.responseText ? JSON.parse(xhr.responseText) : null); } catch { resolve(xhr.responseText); }
      } else {
        reject(parseProblem(xhr.status, xhr.responseText, type));
      }
    });
    xhr.addEventListener('error', () => reject(new Problem({ status: 0, code: 'network_error', detail: 'the upload failed' })));
    xhr.addEventListener('abort', () => reject(new Problem({ status: 0, code: 'aborted', detail: 'the upload was cancelled' })));
    xhr.send(body);
  });
}
