import numpy as np
import pytest

from gdsim.nn import MLP, fit
from gdsim.nn.discriminative import layer_lrs
from gdsim.optimizers import SGD, Adam
from gdsim.toolkit.transfer import CONDITIONS, transfer_experiment, transfer_tasks

SMALL = dict(n_source=600, n_target=24, n_test=300)


def test_tasks_are_related_and_standardized():
    (X_a, y_a), (X_b, y_b), (X_t, y_t) = transfer_tasks(**SMALL)
    assert X_a.shape == (600, 2) and X_b.shape == (24, 2) and X_t.shape == (300, 2)
    assert np.allclose(X_a.mean(axis=0), 0, atol=1e-12) and np.allclose(X_a.std(axis=0), 1)
    assert set(np.unique(y_a)) == set(range(8)) and set(np.unique(y_t)) == {0, 1}
    again = transfer_tasks(**SMALL)
    assert np.array_equal(again[1][0], X_b) and np.array_equal(again[0][1], y_a)
    unmoved = transfer_tasks(shift=0.0, n_classes=8, **SMALL)
    # without a shift task B is task A's clusters: a good source classifier labels it well
    model = MLP([2, 16, 8], seed=0)
    fit(model, Adam(lr=0.01), *unmoved[0], epochs=20, verbose=0)
    assert model.evaluate(*unmoved[2])["accuracy"] > 0.7
    with pytest.raises(ValueError, match=r"n_classes must be <= n_clusters \(4\), got 5"):
        transfer_tasks(n_clusters=4, n_classes=5)
    with pytest.raises(ValueError, match="shift must be >= 0"):
        transfer_tasks(shift=-1)


def test_each_condition_equals_its_separate_fine_tuning():
    seeds, epochs, lr = [0, 1], 6, 0.02
    task = dict(SMALL)
    result = transfer_experiment(
        seeds=seeds, epochs=epochs, lr=lr, hidden=8, pretrain_epochs=3, task=task
    )
    (X_a, y_a), (X_b, y_b), test = transfer_tasks(**task)
    assert result.history.val_accuracy.shape == (epochs, 4, 2)
    assert result.ratios.shape == (epochs * 3, 3, 4, 2)  # 24 rows in batches of 8
    for s, seed in enumerate(seeds):
        source = MLP([2, 8, 8, 8], seed=seed)
        fit(source, Adam(lr=3e-3), X_a, y_a, epochs=3, batch_size=32, verbose=0)
        for c, name in enumerate(CONDITIONS):
            model = MLP([2, 8, 8, 2], seed=1000 + seed)
            if name != "scratch":
                model.set_weights(source.get_weights()[:4] + model.get_weights()[4:])
            options = {}
            if name == "head":
                model.freeze()  # lr 0 in the population
            elif name == "discriminative":
                options = dict(layer_lrs=slice(lr / 100, lr))
            h = fit(
                model,
                Adam(lr=lr),
                X_b,
                y_b,
                epochs=epochs,
                batch_size=8,
                validation_data=test,
                verbose=0,
                **options,
            )
            assert np.allclose(result.history.val_loss[:, c, s], h.val_loss, rtol=1e-12, atol=0)
    assert result.layer_lrs["head"] == [0.0, 0.0, lr]
    assert np.allclose(result.layer_lrs["discriminative"], layer_lrs(slice(lr / 100, lr), 3))
    # frozen layers never move; a small lr moves a layer little
    head, disc = CONDITIONS.index("head"), CONDITIONS.index("discriminative")
    assert np.all(result.ratios[:, :2, head] == 0) and np.all(result.ratios[:, 2, head] > 0)
    assert np.median(result.ratios[:, 0, disc]) < 0.1 * np.median(result.ratios[:, 2, disc])
    assert result.final().shape == (4,) and result.best().shape == (4,)
    assert "discriminative" in result.table()


def test_plot_shows_accuracy_and_per_layer_ratios():
    import matplotlib.pyplot as plt

    result = transfer_experiment(
        seeds=1,
        epochs=4,
        hidden=6,
        pretrain_epochs=2,
        task=SMALL,
        optimizer=lambda lr: SGD(lr=lr, momentum=0.9),
    )
    drawn = result.plot()
    assert len(drawn.axes) == 5
    for c, line in enumerate(drawn.accuracy):
        assert np.allclose(line.get_ydata(), result.history.val_accuracy[:, c, 0])
    head = CONDITIONS.index("head")
    assert drawn.ratios[head][:2] == [None, None]  # frozen: nothing to draw
    epoch_means = result.ratios[:, 2, head, 0].reshape(4, 3).mean(axis=1)
    assert np.allclose(drawn.ratios[head][2].get_ydata(), epoch_means)
    plt.close("all")
