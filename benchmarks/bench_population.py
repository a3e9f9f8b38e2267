"""Population training against one-model-at-a-time training, measured in the same run.

The workload is the seed tutorial's learning-rate sweep: blobs (500 train / 500 test), MLP
2-50-3, SGD at 8 learning rates 1e0 ... 1e-7, batch 32 (16 updates per epoch), 200 epochs, the
training metrics accumulated over each epoch's batches and a full validation pass every epoch.

    gdsim population  : the 8 models as one population (one fit call)
    gdsim sequential  : the same 8 models, one fit call each
    torch sequential  : the same 8 models in PyTorch (CPU, float64 as gdsim), one after another,
                        with the usual loop: randperm, forward, CrossEntropyLoss, backward,
                        optimizer.step(); evaluation under torch.no_grad() each epoch

Each configuration runs ``--repeat`` times; the best (least disturbed) time is reported, and the
ratios are taken between those best times. Usage: ``python benchmarks/bench_population.py``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from gdsim.datasets import blobs, train_test_split
from gdsim.nn import MLP, fit
from gdsim.optimizers import SGD

LRS = 10.0 ** -np.arange(8)


def data():
    X, y = blobs(1000, centers=3, n_features=2, cluster_std=2, seed=2)
    return train_test_split(X, y, test_size=0.5, shuffle=False)


def gdsim_population(epochs):
    X, X_val, y, y_val = data()
    model = MLP([2, 50, 3], population=len(LRS), seed=0)
    return fit(
        model,
        SGD(lr=LRS, convention="keras"),
        X,
        y,
        epochs=epochs,
        batch_size=32,
        validation_data=(X_val, y_val),
        verbose=0,
    )


def gdsim_sequential(epochs):
    X, X_val, y, y_val = data()
    for lr in LRS:
        fit(
            MLP([2, 50, 3], seed=0),
            SGD(lr=lr, convention="keras"),
            X,
            y,
            epochs=epochs,
            batch_size=32,
            validation_data=(X_val, y_val),
            verbose=0,
        )


def torch_sequential(epochs):
    import torch

    X, X_val, y, y_val = data()
    X, X_val = torch.tensor(X), torch.tensor(X_val)
    y, y_val = torch.tensor(y), torch.tensor(y_val)
    generator = torch.Generator().manual_seed(0)
    for lr in LRS:
        torch.manual_seed(0)
        model = torch.nn.Sequential(
            torch.nn.Linear(2, 50), torch.nn.ReLU(), torch.nn.Linear(50, 3)
        ).double()
        optimizer = torch.optim.SGD(model.parameters(), lr=float(lr))
        loss_fn = torch.nn.CrossEntropyLoss()
        for _ in range(epochs):
            model.train()
            order = torch.randperm(len(X), generator=generator)
            total, correct = 0.0, 0
            for start in range(0, len(X), 32):
                index = order[start : start + 32]
                logits = model(X[index])
                loss = loss_fn(logits, y[index])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(index)
                correct += (logits.argmax(1) == y[index]).sum().item()
            model.eval()
            with torch.no_grad():
                logits = model(X_val)
                val_loss = loss_fn(logits, y_val).item()
                val_accuracy = (logits.argmax(1) == y_val).double().mean().item()
            del total, correct, val_loss, val_accuracy


def best_time(fn, epochs, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(epochs)
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    gdsim_population(2)  # warm-up: imports, BLAS initialisation

    population = best_time(gdsim_population, args.epochs, args.repeat)
    sequential = best_time(gdsim_sequential, args.epochs, args.repeat)
    print(
        f"LR sweep: 8 models, {args.epochs} epochs, 16 updates/epoch, validation every epoch "
        f"(best of {args.repeat})"
    )
    print(f"  gdsim population (1 fit, K=8)   {population:8.3f} s")
    print(
        f"  gdsim sequential (8 fits)       {sequential:8.3f} s   "
        f"ratio {sequential / population:5.1f}x"
    )
    try:
        import torch
    except ImportError:
        print("  torch not installed: PyTorch baseline skipped")
        return
    # torch's default thread count and a single thread (often faster for layers this small);
    # the ratio that counts is against the faster of the two
    threads = torch.get_num_threads()
    times = {}
    for n in sorted({threads, 1}, reverse=True):
        torch.set_num_threads(n)
        times[n] = best_time(torch_sequential, args.epochs, max(1, args.repeat - 1))
        print(
            f"  torch sequential (8 loops, {n} thread{'s' * (n > 1)})  {times[n]:8.3f} s   "
            f"ratio {times[n] / population:5.1f}x"
        )
    torch.set_num_threads(threads)
    print(
        f"  torch {torch.__version__}: ratio against its faster setting "
        f"{min(times.values()) / population:5.1f}x"
    )


if __name__ == "__main__":
    main()
