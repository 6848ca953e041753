"""Connect tools: an MCP client, so a thread can use the tools a team already runs.

    settings.py     [mcp.servers.NAME]: the settings, ${VAR} expansion, what narrows trust
    naming.py       model-facing names (server__tool), short descriptions, schema cleaning
    connection.py   one server: start (stdio, streamable HTTP, SSE), list, call, stop
    results.py      a tool's result as text for the model and files (images, blobs)
    manager.py      McpManager: every server of a session, its tools, calls and status
    prompts.py      `/server:prompt args` from the message box, expanded to the prompt's text
    events.py       McpServerChanged (project-wide, for the status bar)

The official `mcp` SDK is imported only once a server starts (never at rigtui's start-up), and
nothing here imports rigtui.agent: the agent's bridge is rigtui/agent/tools/mcp.py. This package
imports nothing on its own, so rigtui.config can import its settings."""
