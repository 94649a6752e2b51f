// End-to-end smoke test of cdc-members with a stock gRPC client.
//
// Proves that an off-the-shelf client (@grpc/grpc-js) can use cdc knowing
// nothing but the server's address: every message, enum and method is
// learned at run time through gRPC server reflection
// (grpc.reflection.v1alpha); none of cdc's .proto files are read. The walk:
// reflection -> health -> apply -> pending sign-in refused -> approval ->
// sign-in -> authenticate -> directory (email privacy) -> get -> bad request.
//
// Run:  CDC_MEMBERS_ADDRESS=127.0.0.1:7801 CDC_TOKEN=<secretariat token> \
//         node members_smoke.mjs
// CDC_TOKEN is a secretariat session token (cdc-members bootstrap prints
// one). The server is reached without TLS. Every call has a 5 s deadline.
// Prints "ok - <step>" or "not ok - <step>: <why>" per step, then
// "N passed, M failed"; the exit code is 0 only if every step passed.

import grpc from '@grpc/grpc-js';
import { GrpcReflection } from 'grpc-js-reflection-client';

const DEADLINE_MS = 5000;
const MEMBERS = 'cdc.v1.MembersService';
const HEALTH = 'grpc.health.v1.Health';
const REFLECTION = 'grpc.reflection.v1alpha.ServerReflection';

// How messages built from the reflected descriptors look in JS: field names
// as in the .proto (snake_case), enums as their names ("PENDING"), 64-bit
// integers as strings, unset fields present with their defaults ("" etc.).
const LOADER_OPTIONS = {
  keepCase: true,
  enums: String,
  longs: String,
  defaults: true,
  oneofs: true,
};

const address = process.env.CDC_MEMBERS_ADDRESS;
const secretariatToken = process.env.CDC_TOKEN;
if (!address || !secretariatToken) {
  console.error(
    'members_smoke: set CDC_MEMBERS_ADDRESS (host:port) and CDC_TOKEN ' +
      '(a secretariat session token)');
  process.exit(1);
}
const credentials = grpc.credentials.createInsecure();

// ---- helpers ---------------------------------------------------------------

const callOptions = () => ({ deadline: Date.now() + DEADLINE_MS });

function metadata(token) {
  const md = new grpc.Metadata();
  if (token) md.set('authorization', `Bearer ${token}`);
  return md;
}

// One unary call; resolves to the response or rejects with the gRPC error.
function call(client, method, request, token) {
  return new Promise((resolve, reject) => {
    client[method](request, metadata(token), callOptions(), (err, res) =>
      err ? reject(err) : resolve(res));
  });
}

const codeName = (code) =>
  Object.keys(grpc.status).find((k) => grpc.status[k] === code) ?? code;

// Calls `method`, which must fail with `code` and, if given, a status message
// containing `text`.
async function expectError(client, method, request, token, code, text) {
  let res;
  try {
    res = await call(client, method, request, token);
  } catch (err) {
    if (err.code !== code) {
      throw new Error(`${method}: want ${codeName(code)}, got ` +
        `${codeName(err.code)}: ${err.details}`);
    }
    if (text && !String(err.details).includes(text)) {
      throw new Error(`${method}: ${codeName(code)} as expected, but the ` +
        `message ${JSON.stringify(err.details)} does not name "${text}"`);
    }
    return err;
  }
  throw new Error(`${method}: want ${codeName(code)}, got success: ` +
    JSON.stringify(res));
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function expectEqual(what, got, want) {
  check(got === want,
    `${what}: want ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
}

// The value an earlier step was to produce, or a failure naming that step.
function need(value, what) {
  check(value, `skipped: ${what} is missing (an earlier step failed)`);
  return value;
}

// Loads `symbol`'s file, and the files it imports, by reflection and returns
// the grpc-js package object (e.g. pkg.cdc.v1.MembersService). The metadata
// argument must be given: when it is undefined, grpc-js ignores the options
// after it, and with them the deadline.
async function reflectPackage(symbol) {
  const descriptor = await reflection.getDescriptorBySymbol(
    symbol, metadata(), callOptions());
  return descriptor.getPackageObject(LOADER_OPTIONS);
}

// Every member the caller can see, following next_page_token.
async function listAllMembers(token) {
  const members = [];
  let page_token = '';
  do {
    const res = await call(members_, 'ListMembers',
      { page_size: 200, page_token }, token);
    members.push(...res.members);
    page_token = res.next_page_token;
  } while (page_token);
  return members;
}

// ---- the scenario ----------------------------------------------------------

const reflection = new GrpcReflection(address, credentials);
let members_;  // cdc.v1.MembersService client, built from reflection
let health;    // grpc.health.v1.Health client, built from reflection

const run = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
const applicant = {
  email: `e2e-smoke-${run}@example.org`,
  password: 'Correct horse battery staple 42!',
};
const newMember = (email, country) => ({
  email,
  display_name: `E2E Smoke ${run}`,
  organisation: 'Smoke Test Civil Society Network',
  organisation_type: 'ORGANISATION_TYPE_CIVIL_SOCIETY',
  country,
  languages: ['en'],
  biography: 'Created by tests/e2e/members_smoke.mjs.',
});
let memberName;       // "members/..." of the applicant
let memberToken;      // the applicant's session token
let secretariatName;  // "members/..." of CDC_TOKEN's member

const steps = [
  [`reflection lists ${MEMBERS}, ${HEALTH} and ${REFLECTION}`, async () => {
    const services = await reflection.listServices(
      '*', metadata(), callOptions());
    for (const want of [MEMBERS, HEALTH, REFLECTION]) {
      check(services.includes(want),
        `${want} not among the reflected services ${JSON.stringify(services)}`);
    }
    const pkg = await reflectPackage(MEMBERS);
    const Service = pkg.cdc?.v1?.MembersService;
    check(typeof Service === 'function',
      `reflection did not describe ${MEMBERS}`);
    for (const method of ['ApplyForMembership', 'SignIn', 'ApproveMember',
      'Authenticate', 'ListMembers', 'GetMember']) {
      check(method in Service.service, `${MEMBERS} has no method ${method}`);
    }
    members_ = new Service(address, credentials);
  }],

  ['grpc.health.v1.Health/Check reports SERVING for "" and ' + MEMBERS,
    async () => {
      let pkg;
      try {
        pkg = await reflectPackage(HEALTH);
      } catch (err) {
        if (!/not found/i.test(err.message)) throw err;
        throw new Error(`reflection lists ${HEALTH} but cannot describe it ` +
          `(${err.message}): the server does not hold the descriptor of ` +
          'grpc/health/v1/health.proto (see grpc/grpc#36665)');
      }
      health = new pkg.grpc.health.v1.Health(address, credentials);
      for (const service of ['', MEMBERS]) {
        const res = await call(health, 'Check', { service });
        expectEqual(`health of ${JSON.stringify(service)}`, res.status,
          'SERVING');
      }
    }],

  ['ApplyForMembership creates a PENDING member', async () => {
    const member = await call(need(members_, MEMBERS), 'ApplyForMembership', {
      member: newMember(applicant.email, 'KEN'),
      password: applicant.password,
      request_id: `e2e-smoke-${run}`,
    });
    check(/^members\/./.test(member.name),
      `the new member's name ${JSON.stringify(member.name)} is not ` +
      '"members/{member}"');
    expectEqual('state', member.state, 'PENDING');
    memberName = member.name;
  }],

  ['SignIn while pending is FAILED_PRECONDITION', async () => {
    need(memberName, 'the applicant');
    await expectError(members_, 'SignIn', applicant, undefined,
      grpc.status.FAILED_PRECONDITION);
  }],

  ['ApproveMember (secretariat) makes it ACTIVE with ROLE_MEMBER',
    async () => {
      const member = await call(members_, 'ApproveMember',
        { name: need(memberName, 'the applicant'), role: 'ROLE_MEMBER' },
        secretariatToken);
      expectEqual('state', member.state, 'ACTIVE');
      expectEqual('role', member.role, 'ROLE_MEMBER');
    }],

  ['SignIn as the approved member returns a session token', async () => {
    need(memberName, 'the applicant');
    const res = await call(members_, 'SignIn', applicant);
    check(typeof res.token === 'string' && res.token.length > 0,
      'SignIn returned no token');
    expectEqual('signed-in member', res.member?.name, memberName);
    memberToken = res.token;
  }],

  ['Authenticate with that token names the member', async () => {
    const principal = await call(members_, 'Authenticate', {},
      need(memberToken, "the member's token"));
    expectEqual('principal.member', principal.member, memberName);
    expectEqual('principal.role', principal.role, 'ROLE_MEMBER');
  }],

  ["ListMembers (as the member) shows the member, not the secretariat's " +
    'email', async () => {
    need(memberToken, "the member's token");
    secretariatName =
      (await call(members_, 'Authenticate', {}, secretariatToken)).member;
    check(secretariatName, 'Authenticate with CDC_TOKEN named no member');
    const list = await listAllMembers(memberToken);
    const self = list.find((m) => m.name === memberName);
    check(self, `${memberName} is not in the directory`);
    expectEqual('own email in the directory', self.email, applicant.email);
    const secretariat = list.find((m) => m.name === secretariatName);
    check(secretariat, `the secretariat ${secretariatName} is not in the ` +
      'directory');
    expectEqual("secretariat's email as seen by a member", secretariat.email,
      '');
    const leaked = list.filter((m) => m.name !== memberName && m.email);
    check(leaked.length === 0, 'the member sees the email of ' +
      leaked.map((m) => m.name).join(', '));
  }],

  ["GetMember (as the member) of the secretariat's record", async () => {
    const member = await call(members_, 'GetMember',
      { name: need(secretariatName, "the secretariat's name") },
      need(memberToken, "the member's token"));
    expectEqual('name', member.name, secretariatName);
    expectEqual('state', member.state, 'ACTIVE');
    expectEqual('email', member.email, '');
  }],

  ['ApplyForMembership with country "XXX" is INVALID_ARGUMENT naming ' +
    'member.country', async () => {
    await expectError(need(members_, MEMBERS), 'ApplyForMembership', {
      member: newMember(`e2e-smoke-bad-${run}@example.org`, 'XXX'),
      password: applicant.password,
    }, undefined, grpc.status.INVALID_ARGUMENT, 'member.country');
  }],
];

let passed = 0;
let failed = 0;
for (const [name, body] of steps) {
  try {
    await body();
    console.log(`ok - ${name}`);
    passed++;
  } catch (err) {
    // (The reflection client wraps gRPC errors: drop its "Error: " prefix.)
    console.log(`not ok - ${name}: ${err.message.replace(/^Error: /, '')}`);
    failed++;
  }
}
console.log(`${passed} passed, ${failed} failed`);

reflection.client.close();
members_?.close();
health?.close();
process.exitCode = failed === 0 ? 0 : 1;
