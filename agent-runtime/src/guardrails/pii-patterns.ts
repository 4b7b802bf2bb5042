/**
 * Personal data that OutputGuardrails.redact_pii redacts: e-mail addresses, phone numbers and
 * payment card numbers (only digit runs that pass the Luhn check, so order numbers and the like
 * are left alone).
 */

/** One kind of personal data: a name, a global pattern, and an optional check a match must pass. */
export interface PiiFormat {
  readonly name: string;
  readonly pattern: RegExp;
  readonly accept?: (match: string) => boolean;
}

/** Whether the digits of `text` pass the Luhn checksum of payment card numbers. */
export function passesLuhn(text: string): boolean {
  const digits = text.replace(/\D/g, "");
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** The formats; cards come before phone numbers so a card number is not taken for one. */
export const piiFormats: readonly PiiFormat[] = [
  { name: "e-mail address", pattern: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g },
  { name: "payment card number", pattern: /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g, accept: passesLuhn },
  {
    name: "phone number",
    // Groups of digits inside a longer run of digit groups (a card or order number) are not a phone number.
    pattern: /(?<![\w+]|\d[ .-]?)(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]\d{3,4}(?![ .-]?\d)(?!\w)|(?<![\w+])\+\d{8,15}(?!\w)/g,
  },
];
