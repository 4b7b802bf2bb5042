/** Fake OpenAI (Chat Completions and Responses) and Anthropic servers that speak the wire protocols the official SDKs expect, scripted per test. */
export * from "./anthropic.js";
export * from "./openai.js";
export * from "./openai-responses.js";
export * from "./server.js";
