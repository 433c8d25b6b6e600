import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCsv, parseShowInfo, parseShowStat } from '../../src/amphora/agent/heartbeat/show-stat.js';

/** The start of HAProxy 2.6's `show stat` header and rows, as a real worker printed them (columns cut after `check_status`). */
const HEADER =
  '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status';
const REAL = [
  HEADER,
  'aaaa-listener,FRONTEND,,,0,1,50,2,164,1006,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,2,0,2,',
  'pool1:aaaa-listener,m1,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,1,1,0,1,1,2,2,,1,3,1,,0,,2,0,,0,L4CON',
  'pool1:aaaa-listener,m2,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,0,1,0,1,1,0,1,,1,3,2,,0,,2,0,,0,L7OK',
  'pool1:aaaa-listener,m3,0,0,0,1,,2,164,1006,,0,,0,0,0,0,no check,1,1,0,,,2,,,1,3,3,,2,,2,2,,2,',
  'pool1:aaaa-listener,m4,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT,1,1,0,,,2,,,1,3,4,,0,,2,0,,0,',
  'pool1:aaaa-listener,BACKEND,0,0,0,1,5,2,164,1006,0,0,,0,0,0,0,UP,1,1,0,,0,2,0,,1,3,0,,2,,1,2,,2,',
  '',
].join('\n');

const INFO = [
  'Name: HAProxy',
  'Version: 2.6.12-1+deb12u4',
  'Pid: 5180',
  'Uptime_sec: 2',
  'Start_time_sec: 1795624641',
  '',
];

describe('show stat parsing', () => {
  it('reads frontends, backends and servers of a real answer', () => {
    const stats = parseShowStat(REAL);
    assert.deepEqual(stats.frontends, [
      { name: 'aaaa-listener', status: 'OPEN', scur: 0, slim: 50, stot: 2, bin: 164, bout: 1006, ereq: 0 },
    ]);
    assert.deepEqual(stats.backends, [{ name: 'pool1:aaaa-listener', status: 'UP' }]);
    assert.deepEqual(
      stats.servers.map((s) => [s.backend, s.name, s.status, s.weight, s.checkStatus]),
      [
        ['pool1:aaaa-listener', 'm1', 'DOWN', 1, 'L4CON'],
        ['pool1:aaaa-listener', 'm2', 'UP', 0, 'L7OK'],
        ['pool1:aaaa-listener', 'm3', 'no check', 1, ''],
        ['pool1:aaaa-listener', 'm4', 'MAINT', 1, ''],
      ],
    );
  });

  it('finds columns by name whatever their order, and reads a missing slim as no limit', () => {
    const text = [
      '# type,status,svname,pxname,bout,bin,stot,scur,ereq,weight',
      '0,FULL,FRONTEND,l1,10,20,30,40,5,',
      '2,UP 1/3,s1,b1,,,12,,,7',
      '1,DOWN,BACKEND,b1,,,,,,0',
    ].join('\n');
    const stats = parseShowStat(text);
    assert.deepEqual(stats.frontends, [
      { name: 'l1', status: 'FULL', scur: 40, slim: undefined, stot: 30, bin: 20, bout: 10, ereq: 5 },
    ]);
    assert.deepEqual(stats.servers, [
      { backend: 'b1', name: 's1', status: 'UP 1/3', weight: 7, checkStatus: '', stot: 12 },
    ]);
    assert.deepEqual(stats.backends, [{ name: 'b1', status: 'DOWN' }]);
  });

  it('reads quoted fields holding commas, quotes and newlines', () => {
    assert.deepEqual(parseCsv('a,"b, c","say ""hi""","two\nlines",\nx,y\n'), [
      ['a', 'b, c', 'say "hi"', 'two\nlines', ''],
      ['x', 'y'],
    ]);
    const text = `${HEADER},last_chk\npool1:l,m1,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,1,1,0,1,1,2,2,,1,3,1,,0,,2,0,,0,L7STS,"Bad answer, code 503"\n`;
    assert.equal(parseShowStat(text).servers[0]?.status, 'DOWN');
  });

  it('tells the worker from show info, before the CSV of the same answer', () => {
    assert.deepEqual(parseShowInfo(`${INFO.join('\n')}\n${REAL}`), { pid: 5180, startTimeSec: 1795624641 });
    assert.deepEqual(parseShowInfo('Pid: 42\n'), { pid: 42, startTimeSec: 0 });
    assert.equal(parseShowInfo('Unknown command\n'), undefined);
    assert.equal(parseShowInfo(REAL), undefined);
  });

  it('gives nothing for an answer that is not a stat table', () => {
    assert.deepEqual(parseShowStat('Permission denied\n'), { frontends: [], backends: [], servers: [] });
    assert.deepEqual(parseShowStat(''), { frontends: [], backends: [], servers: [] });
  });
});
