// promptfoo assertions over the provider's output (a JSON document; see provider.py).
// Each returns a GradingResult. `verdict` is our matcher's verdict and decides like
// `taskpilot eval run`; the others say which part failed.

function parse(output) {
  return typeof output === 'string' ? JSON.parse(output) : output;
}

function result(pass, reason) {
  return { pass, score: pass ? 1 : 0, reason };
}

// The tools called, in order, are the ones the case expects (skipped when it states no calls).
function toolNames(output, context) {
  const expected = (context.test.metadata || {}).expected_tools;
  const got = parse(output).tool_names;
  if (expected === null || expected === undefined) {
    return result(true, 'the case states no calls');
  }
  const pass = JSON.stringify(got) === JSON.stringify(expected);
  return result(pass, `expected [${expected.join(', ')}], called [${got.join(', ')}]`);
}

function checksOf(data, kinds) {
  return data.checks.filter((check) => kinds.includes(check.kind) || check.kind === 'error');
}

function checksResult(data, kinds, passed, none) {
  const checks = checksOf(data, kinds);
  const failed = checks.filter((check) => !check.passed).map((check) => check.reason);
  if (passed) {
    return result(true, checks.length ? checks.map((check) => check.reason).join('; ') : none);
  }
  return result(false, failed.join('; ') || 'the case states no expectation');
}

// Our matcher on the calls: count, tools in order, arguments (fuzzy text, dates, people, any_of).
function calls(output) {
  const data = parse(output);
  return checksResult(data, ['call', 'no_calls'], data.calls_passed, 'no call expectations');
}

// Our matcher on the team's tasks after the case: state, absent, task_count.
function state(output) {
  const data = parse(output);
  return checksResult(data, ['state', 'absent', 'task_count'], data.state_passed, 'no state expectations');
}

// The case passes when every expectation it states holds.
function verdict(output) {
  const data = parse(output);
  return result(data.passed, data.passed ? 'all checks pass' : data.failures.join('; '));
}

module.exports = { toolNames, calls, state, verdict };
