import { plainApi } from '@gw/api-schema/testing';
import { describe, expect, it } from 'vitest';
import { findApplyConflicts, planApply } from './apply-plan.js';

const api = (name: string, basePath = `/${name}`, hosts: string[] = []) => plainApi(name, basePath, ['http://10.0.0.7:8080'], { hosts });

describe('planApply', () => {
  it('sorts creates, updates and unchanged APIs by name; leaves other stored APIs alone without prune', () => {
    const current = [api('b'), api('c'), api('z')];
    const plan = planApply(current, [api('c', '/c2'), api('a'), api('b')], false);
    expect(plan.map((c) => [c.name, c.action])).toEqual([
      ['a', 'create'],
      ['b', 'unchanged'],
      ['c', 'update'],
    ]);
  });

  it('deletes stored APIs missing from the set with prune', () => {
    const plan = planApply([api('a'), api('z')], [api('a')], true);
    expect(plan.map((c) => [c.name, c.action])).toEqual([
      ['a', 'unchanged'],
      ['z', 'delete'],
    ]);
    expect(planApply([api('a')], [], true)).toEqual([{ name: 'a', action: 'delete', before: api('a') }]);
  });
});

describe('findApplyConflicts', () => {
  it('names both APIs of a conflict within the set, at the later one’s host or base path', () => {
    const problems = findApplyConflicts([api('a', '/x', ['h.example.com']), api('b', '/y'), api('c', '/x', ['other.example.com', 'h.example.com']), api('d', '/y')], []);
    expect(problems).toEqual([
      { path: '/apis/2/hosts/1', message: 'h.example.com/x is already claimed by API "a" (/apis/0)' },
      { path: '/apis/3/basePath', message: 'any host/y is already claimed by API "b" (/apis/1)' },
    ]);
  });

  it('checks against the stored APIs that stay, and finds nothing when routes differ', () => {
    expect(findApplyConflicts([api('a', '/s')], [api('stays', '/s')])).toEqual([{ path: '/apis/0/basePath', message: 'any host/s is already claimed by API "stays"' }]);
    expect(findApplyConflicts([api('a'), api('b')], [api('c')])).toEqual([]);
  });
});
