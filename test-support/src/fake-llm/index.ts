/** Fake OpenAI and Anthropic servers that speak the wire protocols the official SDKs expect, scripted per test. */
export * from "./anthropic.js";
export * from "./openai.js";
export * from "./server.js";
