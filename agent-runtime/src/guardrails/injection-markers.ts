/**
 * The maintained list of prompt-injection markers that InputGuardrails.block_prompt_injection
 * refuses: phrases that tell a model to drop its instructions, and fake chat-template, system or
 * tool delimiters that try to pass user text off as another role. Each has a name, which is what
 * a decision reports (never the text that matched). Add to this list when a new marker shows up.
 */

/** One known marker. */
export interface InjectionMarker {
  /** A short name for decisions and logs. */
  readonly name: string;
  readonly pattern: RegExp;
}

/** The markers, checked case-insensitively. */
export const injectionMarkers: readonly InjectionMarker[] = [
  {
    name: "override of earlier instructions",
    pattern: /\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+|the\s+|your\s+|of\s+)*(?:previous|prior|above|earlier|preceding|original|system|existing)\s+(?:instructions?|prompts?|rules|directions|guidelines|context|messages?)\b/i,
  },
  { name: "override of earlier instructions", pattern: /\b(?:forget|ignore|disregard)\s+(?:everything|all)\s+(?:you\s+(?:were|have\s+been)\s+told|above|before)\b/i },
  { name: "new-instructions preamble", pattern: /\b(?:new|updated|real)\s+(?:system\s+)?instructions\s*:/i },
  { name: "role hijack", pattern: /\byou\s+are\s+(?:now\s+)?(?:in\s+)?(?:DAN|developer\s+mode|jailbreak(?:ed)?\s+mode|an?\s+unrestricted)\b/i },
  { name: "system prompt extraction", pattern: /\b(?:reveal|print|show|repeat|output)\s+(?:me\s+)?(?:your|the)\s+(?:full\s+|entire\s+|hidden\s+)?(?:system\s+prompt|hidden\s+instructions|initial\s+instructions)\b/i },
  { name: "fake chat-template delimiter", pattern: /<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id)\|>/i },
  { name: "fake chat-template delimiter", pattern: /\[\/?INST\]|<<\/?SYS>>/ },
  { name: "fake system or tool tag", pattern: /<\/?(?:system|system_prompt|tool_result|tool_call|function_calls?|function_results?|instructions)>/i },
  { name: "fake role header", pattern: /^\s*(?:#{1,4}\s*)?(?:system|assistant)\s*(?:message|prompt)?\s*:/im },
];

/** The name of the first marker found in `text`, if any. */
export function findInjectionMarker(text: string): string | undefined {
  return injectionMarkers.find((marker) => marker.pattern.test(text))?.name;
}
