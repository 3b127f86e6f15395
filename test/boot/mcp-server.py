"""A streamable-HTTP MCP server on 127.0.0.1 with two tools, for test/boot-sections.test.ts.

Run with the venv's python, which has the `mcp` package LiteLLM's proxy extra installs
(`Requires-Dist: mcp>=2.3.0,<3 ; extra == 'proxy'` in the 1.108.7 wheel's METADATA; 2.3.0 here):
    .venv-litellm/bin/python test/boot/mcp-server.py PORT [TOKEN]
It serves MCP at http://127.0.0.1:PORT/mcp until it is stopped. With TOKEN, every request must
carry `Authorization: Bearer TOKEN` (what LiteLLM sends for `auth_type: bearer_token`:
litellm/experimental_mcp_client/client.py:910-912), or it is answered 401 and counted.

In mcp 2.x FastMCP is `mcp.server.mcpserver.MCPServer` (mcp/server/fastmcp.py), and its
streamable-HTTP app is served here by uvicorn as `run("streamable-http")` does
(mcp/server/mcpserver/server.py:1113-1151).
"""
import sys

import uvicorn
from mcp.server.mcpserver import MCPServer
from starlette.responses import PlainTextResponse

server = MCPServer(name="boot-tools")


@server.tool(description="Adds two integers.")
def add(a: int, b: int) -> int:
    return a + b


@server.tool(description="Says which server answered.")
def whoami() -> str:
    return "boot-tools on 127.0.0.1"


def require_bearer(app, token):
    """An ASGI wrapper that answers 401 to any HTTP request without the bearer token."""
    expected = f"Bearer {token}".encode()

    async def guarded(scope, receive, send):
        if scope["type"] == "http" and dict(scope["headers"]).get(b"authorization") != expected:
            print("refused a request without the bearer token", flush=True)
            await PlainTextResponse("missing or wrong bearer token", status_code=401)(scope, receive, send)
            return
        await app(scope, receive, send)

    return guarded


if __name__ == "__main__":
    port = int(sys.argv[1])
    app = server.streamable_http_app(host="127.0.0.1")
    if len(sys.argv) > 2:
        app = require_bearer(app, sys.argv[2])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
