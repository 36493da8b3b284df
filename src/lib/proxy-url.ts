/** --proxy-url as the user typed it (checked when the flag is parsed, and again for a kubeconfig's proxy-url). */
import {usageError} from './errors.js'

/** Checks a proxy URL as the user typed it; only http:// proxies (the CONNECT kind) are supported. */
export function parseProxyUrl(value: string, what = 'The proxy URL'): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw usageError('INVALID_PROXY_URL', `${what} "${value}" is not a URL`, 'Pass it as http://HOST:PORT')
  }

  if (url.protocol !== 'http:') throw usageError('INVALID_PROXY_URL', `${what} "${value}" is not an HTTP proxy: only http:// proxies are supported, not ${url.protocol}//`, 'Pass an HTTP proxy as http://HOST:PORT')
  return url
}
