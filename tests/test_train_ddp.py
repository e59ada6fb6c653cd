"""DistributedDataParallel on CPU: two processes on the gloo backend end with equal weights."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from test_train_loop import config, make_data

pytestmark = pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed missing")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _worker(rank: int, world: int, port: int, root: str) -> None:
    from safetensors.torch import save_file

    from vfx_nodes.train.loop import TrainRun

    os.environ.update(WORLD_SIZE=str(world), RANK=str(rank), LOCAL_RANK=str(rank),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    tmp = Path(root)
    cfg = config(tmp / "run", (tmp / "data" / "content", tmp / "data" / "style.png"),
                 steps=3, eval_every=3, checkpoint_every=3, device="cpu")
    run = TrainRun(cfg, progress=False)
    try:
        res = run.run()
        state = {f"gen.{k}": v for k, v in run.gen.state_dict().items()}
        state.update({f"ema.{k}": v for k, v in run.ema.state_dict().items()})
        state.update({f"disc.{k}": v for k, v in run.disc.state_dict().items()})
        save_file({k: v.contiguous() for k, v in state.items()}, str(tmp / f"rank{rank}.safetensors"),
                  metadata={"steps": str(res.steps), "world": str(run.dist.world_size)})
    finally:
        run.dist.close()


@pytest.mark.slow
def test_two_gloo_processes_end_with_identical_weights(tmp_path):
    from safetensors import safe_open
    from safetensors.torch import load_file

    make_data(tmp_path / "data")
    torch.multiprocessing.spawn(_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2, join=True)
    a = load_file(str(tmp_path / "rank0.safetensors"))
    b = load_file(str(tmp_path / "rank1.safetensors"))
    with safe_open(str(tmp_path / "rank1.safetensors"), "pt") as fh:
        assert fh.metadata() == {"steps": "3", "world": "2"}
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    # the weights moved away from their initialisation (training happened)
    from vfx_nodes.model import build_generator
    torch.manual_seed(0)
    init = build_generator("johnson-small").state_dict()
    assert any(not torch.equal(a[f"gen.{k}"], v) for k, v in init.items() if v.is_floating_point())
    # rank 0 alone wrote the files of the run
    work = tmp_path / "run" / "look.train"
    assert (tmp_path / "run" / "look.safetensors").is_file()
    assert len(list(work.glob("checkpoint-*.safetensors"))) == 1
    lines = (work / "metrics.jsonl").read_text().splitlines()
    assert len([x for x in lines if '"kind": "eval"' in x]) == 2  # baseline + step 3, written once
