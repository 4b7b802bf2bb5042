/** Colours for the chat's output: only on a terminal and only when NO_COLOR is unset (https://no-color.org). */

/** The colours the chat uses, by what they mark. */
export interface ChatStyle {
  /** Tool calls and their results. */
  readonly tool: (text: string) => string;
  /** Guardrail decisions. */
  readonly guardrail: (text: string) => string;
  /** Approval prompts and decisions. */
  readonly approval: (text: string) => string;
  /** Failures and errors. */
  readonly failure: (text: string) => string;
  /** Quiet details: footers, usage, state changes, notices. */
  readonly dim: (text: string) => string;
  /** Who speaks: agent names, handoffs. */
  readonly agent: (text: string) => string;
}

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;

const coloured: ChatStyle = {
  tool: sgr(36, 39),
  guardrail: sgr(35, 39),
  approval: sgr(33, 39),
  failure: sgr(31, 39),
  dim: sgr(2, 22),
  agent: sgr(1, 22),
};

const identity = (text: string) => text;

/** Output without escape sequences, for pipes, files and tests. */
export const plainStyle: ChatStyle = { tool: identity, guardrail: identity, approval: identity, failure: identity, dim: identity, agent: identity };

/** Colour when `stream` is a terminal and NO_COLOR is unset or empty; plain text otherwise. */
export function styleFor(stream: NodeJS.WritableStream & { isTTY?: boolean }, env: NodeJS.ProcessEnv): ChatStyle {
  return stream.isTTY === true && !env.NO_COLOR ? coloured : plainStyle;
}
