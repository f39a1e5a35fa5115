# Reads a TensorBoard log folder with TensorBoard's own readers and prints JSON: what its event
# accumulator keeps (scalars, text tensors; orphaned data purged as TensorBoard purges it) and,
# per event file, the raw events in order (the file loader checks every record's CRCs).
import glob
import json
import os
import sys

from tensorboard.backend.event_processing import event_accumulator as ea
from tensorboard.backend.event_processing import event_file_loader as efl

folder = sys.argv[1]
acc = ea.EventAccumulator(folder, size_guidance={ea.SCALARS: 0, ea.TENSORS: 0})
acc.Reload()
tags = acc.Tags()
out = {
    "scalars": {t: [[e.step, e.value] for e in acc.Scalars(t)] for t in tags["scalars"]},
    "texts": {t: [[e.step, e.tensor_proto.string_val[0].decode("utf-8")] for e in acc.Tensors(t)] for t in tags["tensors"]},
    "files": [],
}
for path in sorted(glob.glob(os.path.join(folder, "*tfevents*"))):
    events = []
    for e in efl.EventFileLoader(path).Load():
        what = e.WhichOneof("what")
        rec = {"step": e.step, "what": what}
        if what == "summary":
            rec["tags"] = [v.tag for v in e.summary.value]
        if what == "session_log":
            rec["status"] = e.session_log.status
        events.append(rec)
    out["files"].append({"name": os.path.basename(path), "events": events})
print(json.dumps(out))
