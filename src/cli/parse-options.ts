/** The one strict node:util parseArgs call every command line goes through. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; strict: true; options: O }>>;

/** `argv` parsed with `options` and positionals allowed; an unknown option or a missing value comes back as its message. */
export function parseStrict<O extends Options>(argv: readonly string[], options: O): Parsed<O> | string {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options });
  } catch (e) {
    return (e as Error).message;
  }
}
