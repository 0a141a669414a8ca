"""Model access: the ChatModel protocol, the OpenAI-compatible client, the embedded llama.cpp server, tokens.

Import from the submodules (`sim.llm.backend.open_models`, `sim.llm.protocol.ModelError`, ...); this package
imports nothing itself so that `sim.llm.protocol` stays light.
"""
