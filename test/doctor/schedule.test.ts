// The run's wall time from the DAG and the slots: side-by-side branches overlap, per-image stages
// spread over the slots free when they start, trainings hold theirs, a GPU holds one tensor stage.
import { describe, expect, it } from 'vitest';
import { planWall, type StageCost } from '../../lib/doctor/schedule.ts';

const stage = (name: string, deps: string[], role: StageCost['role'], seconds: number, extra: Partial<StageCost> = {}): StageCost => ({
  stage: name,
  deps,
  role,
  tensors: role !== 'other',
  seconds,
  serial: 0,
  start: 0,
  macs: 0,
  ...extra,
});

describe('planWall', () => {
  const dag = [
    stage('data', [], 'other', 1),
    stage('pretrain', ['data'], 'training', 10),
    stage('saliency', ['data'], 'per-image', 8),
    stage('cues', ['pretrain', 'saliency'], 'per-image', 4),
    stage('train', ['cues'], 'training', 10),
  ];

  it('overlaps independent branches and follows the critical path, not the sum', () => {
    const p = planWall(dag, { cores: 2, gpus: 0, jobs: 2 }, 1);
    // saliency starts beside pretrain (1 core left: 8 s); cues gets both cores (2 s)
    expect(p.spans.get('saliency')).toMatchObject({ start: 1, end: 9, slots: 1 });
    expect(p.spans.get('cues')).toMatchObject({ start: 11, end: 13, slots: 2 });
    expect(p.wall).toBe(23);
    expect(p.critical).toEqual(['data', 'pretrain', 'cues', 'train']);
  });

  it('one job at a time: the sum; more cores: per-image stages shrink, trainings do not', () => {
    expect(planWall(dag, { cores: 1, gpus: 0, jobs: 1 }, 1).wall).toBe(33);
    expect(planWall(dag, { cores: 8, gpus: 0, jobs: 8 }, 1).wall).toBeCloseTo(1 + 10 + 0.5 + 10, 9);
  });

  it('a native training holds its threads: a per-image stage beside it gets the cores left', () => {
    const p = planWall(dag, { cores: 4, gpus: 0, jobs: 4 }, 2);
    expect(p.spans.get('saliency')!.slots).toBe(2);
  });

  it('on GPUs: tensor stages hold one each (two trainings on one card run one after the other), per-image stages take the free ones', () => {
    const two = [
      stage('data', [], 'other', 1),
      stage('a', ['data'], 'training', 10),
      stage('b', ['data'], 'training', 10),
      stage('eval', ['a', 'b'], 'per-image', 8),
    ];
    const one = planWall(two, { cores: 2, gpus: 1, jobs: 2 }, 1);
    expect(one.wall).toBe(1 + 10 + 10 + 8);
    const pair = planWall(two, { cores: 2, gpus: 2, jobs: 2 }, 1);
    expect(pair.wall).toBe(1 + 10 + 4);
    expect(pair.spans.get('eval')!.slots).toBe(2);
  });

  it("counts each stage's start and its serial part once, whatever the slots", () => {
    const p = planWall([stage('x', [], 'per-image', 8, { start: 2, serial: 3 })], { cores: 4, gpus: 0, jobs: 4 }, 1);
    expect(p.wall).toBe(2 + 3 + 2);
  });
});
