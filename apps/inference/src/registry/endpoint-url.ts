const MODEL_KEY_PLACE = 'an environment variable named by the model\'s "apiKeyEnv" field';

/**
 * Why `url` cannot be a server inference calls (a model endpoint by default, or the Kubernetes API server of its
 * config), or undefined when it can. The reason never repeats the URL: a rejected URL may carry a
 * password, and URLs end up in logs and errors. `credentialsBelongIn` tells the operator where a credential goes instead.
 * A query string or fragment is refused too: it may hold a token, and the request path is appended to the base URL, so
 * one would be sent mangled or not at all.
 */
export function endpointUrlProblem(url: string, credentialsBelongIn = MODEL_KEY_PLACE): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL; use e.g. http://10.0.0.5:8000 or https://api.example.com';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `uses ${parsed.protocol}//; only http:// and https:// are supported`;
  if (parsed.username !== '' || parsed.password !== '') {
    return `carries a username or password; remove it from the URL and put the credential in ${credentialsBelongIn}`;
  }
  if (/[?#]/.test(url)) {
    return `has a query string or fragment, which is not sent as given; remove it (a credential goes in ${credentialsBelongIn})`;
  }
  return undefined;
}

/**
 * The form of an endpoint URL that may be logged, put in a metric label or an error message: origin and path, never
 * a username, password, query string or fragment (a valid endpoint prints unchanged, less any trailing slash).
 */
export function redactEndpoint(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
  } catch {
    return '(not a URL)';
  }
}
