import { execFileSync } from 'child_process';
import { VENV } from './proxy';

/** What LiteLLM's /login answers: its Set-Cookie and its redirect target. */
export interface Login { readonly cookie: string; readonly redirect: string }

/** A request as the load balancer forwards it to a task. */
export interface ForwardedRequest {
  /** Request headers, as the task receives them. */
  readonly headers: Record<string, string>;
  /** The address the connection comes from (the load balancer's node). */
  readonly peer: string;
  /** The task's own address. */
  readonly server: string;
}

/**
 * The Set-Cookie and redirect LiteLLM's /login sends (proxy_server.py:17857: the redirect target from
 * `get_custom_url(str(request.base_url))`, the cookie from `set_session_token_cookie`,
 * management_endpoints/ui_sso.py:3061, whose Secure flag is `IPAddressUtils.is_request_https`,
 * auth/ip_address_utils.py:200-227: PROXY_BASE_URL first, then a trusted proxy's
 * X-Forwarded-Proto, then the request's scheme) for `request`, with the task's environment and,
 * as the control, without its PROXY_BASE_URL. Run in the pinned venv, one Python process (importing
 * LiteLLM takes seconds): the real /login stops without a database.
 */
export function loginResponses(task: Record<string, string>, request: ForwardedRequest): { platform: Login; control: Login } {
  const script = [
    'import json, os',
    'from starlette.requests import Request',
    'from starlette.responses import RedirectResponse',
    'from litellm.proxy.management_endpoints.ui_sso import set_session_token_cookie',
    'from litellm.proxy.utils import get_custom_url',
    'headers = [(k.lower().encode(), v.encode()) for k, v in json.loads(os.environ["BOOT_HEADERS"]).items()]',
    'scope = {"type": "http", "scheme": "http", "method": "POST", "path": "/login", "query_string": b"", "root_path": "",',
    '         "server": (os.environ["BOOT_SERVER"], 4000), "client": (os.environ["BOOT_PEER"], 51234), "headers": headers}',
    'def login():',
    '    request = Request(scope)',
    '    response = RedirectResponse(url=get_custom_url(str(request.base_url)).rstrip("/") + "/ui?login=success", status_code=303)',
    '    set_session_token_cookie(response, request, "jwt")',
    '    print(response.headers["set-cookie"]); print(response.headers["location"])',
    'login()',
    'os.environ.pop("PROXY_BASE_URL", None)',
    'login()',
  ].join('\n');
  // The database is not needed to build the answer, and IAM auth would try to mint a token.
  const settings = Object.fromEntries(Object.entries(task).filter(([n]) => !n.startsWith('DATABASE_') && n !== 'IAM_TOKEN_DB_AUTH'));
  const out = execFileSync(`${VENV}/bin/python3`, ['-c', script], {
    encoding: 'utf8',
    env: {
      ...settings, BOOT_HEADERS: JSON.stringify(request.headers), BOOT_PEER: request.peer, BOOT_SERVER: request.server, PATH: '/usr/bin:/bin',
    },
  }).trim().split('\n');
  return { platform: { cookie: out[0], redirect: out[1] }, control: { cookie: out[2], redirect: out[3] } };
}
