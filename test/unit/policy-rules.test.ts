import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate, isAdminRoles, isAllowed, type Credentials } from '../../src/api/policy/engine.js';
import { API_POLICIES, BASE_RULES, POLICY_PREFIX } from '../../src/api/policy/rules.js';
import { ROUTE_POLICIES } from '../../src/api/policy/route-policies.js';

const OWN = 'project-own';
const OTHER = 'project-other';

/** The role sets of the test callers (Keystone's implied roles included where Keystone would add them). */
const CALLERS: Record<string, string[]> = {
  admin: ['admin', 'member', 'reader'],
  lb_admin: ['load-balancer_admin'],
  member: ['member', 'reader'],
  reader: ['reader'],
  lb_member: ['load-balancer_member'],
  lb_observer: ['load-balancer_observer'],
  lb_global_observer: ['load-balancer_global_observer'],
  lb_quota_admin: ['load-balancer_quota_admin'],
  service: ['service'],
  none: [],
};

const RULES = [
  'read',
  'read-global',
  'write',
  'read-quota',
  'read-quota-global',
  'write-quota',
  'admin',
  'read-or-service',
] as const;
type Rule = (typeof RULES)[number];
const ALL: Rule[] = [...RULES];

/** Hand-written expectations: the rules each caller passes on its own project and on another one. */
const EXPECTED: Record<string, { own: Rule[]; other: Rule[] }> = {
  admin: { own: ALL, other: ALL },
  lb_admin: { own: ALL, other: ALL },
  member: { own: ['read', 'write', 'read-quota', 'read-or-service'], other: [] },
  reader: { own: ['read', 'read-quota', 'read-or-service'], other: [] },
  lb_member: { own: ['read', 'write', 'read-quota', 'read-or-service'], other: [] },
  lb_observer: { own: ['read', 'read-quota', 'read-or-service'], other: [] },
  lb_global_observer: {
    own: ['read', 'read-global', 'read-quota', 'read-quota-global', 'read-or-service'],
    other: ['read', 'read-global', 'read-quota', 'read-quota-global', 'read-or-service'],
  },
  lb_quota_admin: {
    own: ['read-quota', 'read-quota-global', 'write-quota'],
    other: ['read-quota', 'read-quota-global', 'write-quota'],
  },
  service: { own: ['read-or-service'], other: ['read-or-service'] },
  none: { own: [], other: [] },
};

function credentials(roles: string[]): Credentials {
  return { roles, projectId: OWN, isAdmin: isAdminRoles(roles) };
}

describe('policy rules: each caller x each base rule', () => {
  for (const [caller, roles] of Object.entries(CALLERS)) {
    for (const rule of RULES) {
      for (const where of ['own', 'other'] as const) {
        const expected = EXPECTED[caller]![where].includes(rule);
        it(`${caller} ${expected ? 'passes' : 'fails'} load-balancer:${rule} on ${where} project`, () => {
          const target = { projectId: where === 'own' ? OWN : OTHER };
          assert.equal(evaluate({ rule: `load-balancer:${rule}` }, credentials(roles), target), expected);
        });
      }
    }
  }
});

describe('policy rules: special callers', () => {
  it('the noauth context (is_admin) passes every API policy on any project', () => {
    const noauth: Credentials = { roles: [], projectId: undefined, isAdmin: true };
    for (const policy of Object.keys(API_POLICIES))
      assert.equal(isAllowed(policy, noauth, { projectId: OTHER }), true, policy);
  });

  it('an unscoped token with project roles passes nothing that needs ownership', () => {
    const unscoped: Credentials = { roles: ['member', 'reader'], projectId: undefined, isAdmin: false };
    for (const rule of RULES)
      assert.equal(evaluate({ rule: `load-balancer:${rule}` }, unscoped, { projectId: OWN }), false, rule);
    // Not even on an object of no project (flavors are checked against the caller's own project).
    assert.equal(isAllowed(`${POLICY_PREFIX}:flavor:get_all`, unscoped, { projectId: undefined }), false);
  });

  it('is_admin comes from admin or load-balancer_admin only', () => {
    assert.equal(isAdminRoles(['admin']), true);
    assert.equal(isAdminRoles(['load-balancer_admin']), true);
    for (const roles of [[], ['member'], ['load-balancer_global_observer'], ['load-balancer_quota_admin']])
      assert.equal(isAdminRoles(roles), false, roles.join());
  });

  it('unknown policies and unknown rules deny, even an administrator', () => {
    const admin = credentials(CALLERS.admin!);
    assert.equal(isAllowed(`${POLICY_PREFIX}:loadbalancer:no_such_action`, admin, { projectId: OWN }), false);
    assert.equal(evaluate({ rule: 'no-such-rule' }, admin, { projectId: OWN }), false);
  });

  it('ownership needs a target project: objects of no project are not owned by anyone', () => {
    const member = credentials(CALLERS.member!);
    assert.equal(evaluate({ owner: true }, member, { projectId: null }), false);
    assert.equal(evaluate({ owner: true }, member, { projectId: OWN }), true);
  });
});

describe('API policies: Octavia defaults for each resource', () => {
  const allowed = (caller: string, policy: string, projectId = OWN) =>
    isAllowed(`${POLICY_PREFIX}:${policy}`, credentials(CALLERS[caller]!), { projectId });

  it('load balancer children: reads are read, writes are write, lists across projects are read-global', () => {
    for (const resource of ['loadbalancer', 'listener', 'pool', 'healthmonitor', 'l7policy']) {
      assert.equal(allowed('reader', `${resource}:get_one`), true, resource);
      assert.equal(allowed('reader', `${resource}:put`), false, resource);
      assert.equal(allowed('member', `${resource}:post`), true, resource);
      assert.equal(allowed('member', `${resource}:delete`, OTHER), false, resource);
      assert.equal(allowed('member', `${resource}:get_all-global`), false, resource);
      assert.equal(allowed('lb_global_observer', `${resource}:get_all-global`), true, resource);
      assert.equal(allowed('lb_global_observer', `${resource}:put`, OTHER), false, resource);
    }
  });

  it('failover and every amphora action need an administrator', () => {
    for (const policy of [
      'loadbalancer:put_failover',
      'amphora:get_all',
      'amphora:get_one',
      'amphora:delete',
      'amphora:put_failover',
      'amphora:put_config',
      'amphora:get_stats',
    ]) {
      assert.equal(allowed('member', policy), false, policy);
      assert.equal(allowed('lb_global_observer', policy), false, policy);
      assert.equal(allowed('admin', policy, OTHER), true, policy);
      assert.equal(allowed('lb_admin', policy, OTHER), true, policy);
    }
  });

  it('flavors and zones are read by readers, written by administrators; profiles and capabilities are admin-only', () => {
    for (const resource of ['flavor', 'availability-zone']) {
      assert.equal(allowed('reader', `${resource}:get_all`), true);
      assert.equal(allowed('member', `${resource}:post`), false);
      assert.equal(allowed('admin', `${resource}:post`), true);
    }
    for (const policy of ['flavor-profile:get_all', 'availability-zone-profile:get_one', 'provider-flavor:get_all'])
      assert.equal(allowed('member', policy), false, policy);
    assert.equal(allowed('reader', 'provider:get_all'), true);
  });

  it('every route names a policy that exists', () => {
    for (const [route, { policy, target }] of ROUTE_POLICIES) {
      assert.ok(API_POLICIES[policy], `${route}: ${policy}`);
      if (target === 'list') assert.ok(API_POLICIES[`${policy}-global`], `${route}: ${policy}-global`);
    }
  });

  it('every base rule a policy uses is defined', () => {
    for (const [policy, base] of Object.entries(API_POLICIES)) assert.ok(BASE_RULES[base], `${policy}: ${base}`);
  });
});
