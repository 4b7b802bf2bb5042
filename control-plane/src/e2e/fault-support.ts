/** The fault tests' shared helpers now live in test-support, where the reliability suites use them too. */
export * from "@raworc/test-support/fault-support.js";
