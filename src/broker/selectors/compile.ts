/**
 * Turns a parsed selector into a tree of closures, built once per selector text. Evaluating a
 * message walks the closures with no per-call allocation except bigint results and the numeric
 * reading of numeric strings. Nothing here throws at match time.
 */
import { destinationKey, type Destination, type Message } from '../message.js';
import { likeMatcher } from './like.js';
import type { SelectorNode } from './parser.js';
import { arithmetic, compareValues, equalsValue, negateValue, typedToValue, type Value } from './values.js';

export type Evaluator = (message: Message) => Value;

/** IN lists shorter than this are scanned; longer ones use a Set (hashing costs more for few). */
const IN_LIST_SET_THRESHOLD = 8;

function propertyValue(m: Message, name: string): Value {
  const props = m.properties;
  if (props === null) return null;
  const tv = props.get(name);
  return tv === undefined ? null : typedToValue(tv);
}

/** `queue://name` strings, built once per Destination object rather than once per match. */
const destinationStrings = new WeakMap<Destination, string>();
function destinationString(d: Destination): string {
  let s = destinationStrings.get(d);
  if (s === undefined) {
    s = destinationKey(d);
    destinationStrings.set(d, s);
  }
  return s;
}

/**
 * JMS header fields usable in selectors (JMS 1.1 §3.8.1.1, ActiveMQ PropertyExpression). Optional
 * headers fall back to a property of the same name, as heads may carry them either way.
 */
const HEADER_READERS: ReadonlyMap<string, Evaluator> = new Map<string, Evaluator>([
  ['JMSMessageID', (m) => m.messageId],
  ['JMSCorrelationID', (m) => m.correlationId ?? propertyValue(m, 'JMSCorrelationID')],
  ['JMSType', (m) => m.type ?? propertyValue(m, 'JMSType')],
  ['JMSDeliveryMode', (m) => (m.persistent ? 'PERSISTENT' : 'NON_PERSISTENT')],
  ['JMSPriority', (m) => m.priority],
  ['JMSTimestamp', (m) => m.timestamp],
  ['JMSExpiration', (m) => m.expiration],
  ['JMSRedelivered', (m) => m.redeliveryCount > 0],
  ['JMSDestination', (m) => destinationString(m.destination)],
  ['JMSReplyTo', (m) => (m.replyTo === undefined ? propertyValue(m, 'JMSReplyTo') : destinationString(m.replyTo))],
  ['JMSXGroupID', (m) => m.groupId ?? propertyValue(m, 'JMSXGroupID')],
  ['JMSXGroupSeq', (m) => m.groupSeq ?? propertyValue(m, 'JMSXGroupSeq')],
  ['JMSXDeliveryCount', (m) => m.redeliveryCount + 1],
  ['JMSXUserID', (m) => m.userId ?? propertyValue(m, 'JMSXUserID')],
]);

function identifierReader(name: string): Evaluator {
  return HEADER_READERS.get(name) ?? ((m) => propertyValue(m, name));
}

/** Only booleans are conditions; anything else (a string property used as one) is UNKNOWN. */
function condition(v: Value): boolean | null {
  return typeof v === 'boolean' ? v : null;
}

export function compileNode(node: SelectorNode): Evaluator {
  switch (node.kind) {
    case 'literal': {
      const value = node.value;
      return () => value;
    }
    case 'identifier':
      return identifierReader(node.name);
    case 'and': {
      const left = compileNode(node.left);
      const right = compileNode(node.right);
      // SQL three-valued AND: FALSE wins over UNKNOWN, so the right side may still decide.
      return (m) => {
        const a = condition(left(m));
        if (a === false) return false;
        const b = condition(right(m));
        if (b === false) return false;
        return a === null || b === null ? null : true;
      };
    }
    case 'or': {
      const left = compileNode(node.left);
      const right = compileNode(node.right);
      return (m) => {
        const a = condition(left(m));
        if (a === true) return true;
        const b = condition(right(m));
        if (b === true) return true;
        return a === null || b === null ? null : false;
      };
    }
    case 'not': {
      const operand = compileNode(node.operand);
      return (m) => {
        const v = condition(operand(m));
        return v === null ? null : !v;
      };
    }
    case 'compare':
      return compileComparison(node.op, compileNode(node.left), node.right);
    case 'arithmetic': {
      const op = node.op;
      const left = compileNode(node.left);
      const right = compileNode(node.right);
      return (m) => arithmetic(op, left(m), right(m));
    }
    case 'negate': {
      const operand = compileNode(node.operand);
      return (m) => negateValue(operand(m));
    }
    case 'between': {
      const operand = compileNode(node.operand);
      const low = compileNode(node.low);
      const high = compileNode(node.high);
      // x BETWEEN a AND b  ==  x >= a AND x <= b, evaluating x once.
      return (m) => {
        const v = operand(m);
        if (v === null) return null;
        const aboveLow = compareValues('>=', v, low(m));
        if (aboveLow === false) return false;
        const belowHigh = compareValues('<=', v, high(m));
        if (belowHigh === false) return false;
        return aboveLow === null || belowHigh === null ? null : true;
      };
    }
    case 'in': {
      const operand = compileNode(node.operand);
      const values = node.values;
      if (values.length < IN_LIST_SET_THRESHOLD) {
        return (m) => {
          const v = operand(m);
          return typeof v === 'string' ? values.includes(v) : null;
        };
      }
      const set = new Set(values);
      return (m) => {
        const v = operand(m);
        return typeof v === 'string' ? set.has(v) : null;
      };
    }
    case 'like': {
      const operand = compileNode(node.operand);
      const match = likeMatcher(node.pattern, node.escape);
      return (m) => {
        const v = operand(m);
        return typeof v === 'string' ? match(v) : null;
      };
    }
    case 'isNull': {
      const operand = compileNode(node.operand);
      return (m) => operand(m) === null;
    }
  }
}

/** Comparisons against a literal (the common `prop = 'x'` shape) skip one closure call. */
function compileComparison(op: '=' | '<>' | '<' | '<=' | '>' | '>=', left: Evaluator, rightNode: SelectorNode): Evaluator {
  if (rightNode.kind === 'literal') {
    const constant = rightNode.value;
    if (op === '=') return (m) => equalsValue(left(m), constant);
    return (m) => compareValues(op, left(m), constant);
  }
  const right = compileNode(rightNode);
  if (op === '=') return (m) => equalsValue(left(m), right(m));
  return (m) => compareValues(op, left(m), right(m));
}
