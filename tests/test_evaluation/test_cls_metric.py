# Copyright (c) mmuda contributors. All rights reserved.
"""ClsAccuracyMetric against hand-computed accuracies (imbalanced classes, so that the overall
accuracy and the mean class accuracy differ)."""
import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator

from mmuda.evaluation import ClsAccuracyMetric
from mmuda.registry import METRICS
from mmuda.structures import ClsDataSample

# 10 samples: class 0 six times (all right), class 1 three times (one right: predicted 1, 0,
# 2), class 2 once (predicted 0). Accuracy 7 / 10 = 70 %; per class 100, 33.33.., 0, mean
# 133.33.. / 3 = 44.44.. %.
GTS = [0, 0, 0, 0, 0, 0, 1, 1, 1, 2]
PREDS = [0, 0, 0, 0, 0, 0, 1, 0, 2, 0]


def _score(pred, num_classes=3):
    score = torch.full((num_classes, ), 0.1)
    score[pred] = 0.8
    return score


def _samples(use_scores):
    out = []
    for i, (gt, pred) in enumerate(zip(GTS, PREDS)):
        if use_scores or i % 2:  # mixed: scores for odd samples
            out.append(dict(gt_label=torch.tensor(gt), pred_score=_score(pred)))
        else:
            out.append(dict(gt_label=torch.tensor(gt), pred_label=torch.tensor(pred)))
    return out


@pytest.mark.parametrize('use_scores', [True, False])
def test_hand_computed(use_scores):
    metric = ClsAccuracyMetric()
    metric.process(None, _samples(use_scores)[:4])
    metric.process(None, _samples(use_scores)[4:])
    res = metric.evaluate(10)
    assert set(res) == {'accuracy', 'mean_class_accuracy'}  # no class names: no acc_ keys
    assert res['accuracy'] == pytest.approx(70.0)
    assert res['mean_class_accuracy'] == pytest.approx(400 / 9)
    assert res['accuracy'] != pytest.approx(res['mean_class_accuracy'])


def test_class_names_and_absent_class():
    """With four classes of which one never occurs: the mean is over the three present ones and
    each present class has its acc_<name> key."""
    metric = METRICS.build(dict(type='ClsAccuracyMetric'))
    metric.dataset_meta = dict(classes=('cat', 'dog', 'bird', 'fish'))
    samples = [dict(gt_label=torch.tensor(g), pred_score=_score(p, 4)) for g, p in
               zip(GTS, PREDS)]
    metric.process(None, samples)
    res = metric.evaluate(10)
    assert res['accuracy'] == pytest.approx(70.0)
    assert res['mean_class_accuracy'] == pytest.approx(400 / 9)
    assert res['acc_cat'] == pytest.approx(100.0)
    assert res['acc_dog'] == pytest.approx(100 / 3)
    assert res['acc_bird'] == pytest.approx(0.0)
    assert 'acc_fish' not in res


def test_evaluator_with_data_samples():
    """Through mmengine's Evaluator with ClsDataSample objects (as a model's predictions)."""
    evaluator = Evaluator(dict(type='mmuda.ClsAccuracyMetric', per_class_keys=False))
    evaluator.dataset_meta = dict(classes=('a', 'b', 'c'))
    for gt, pred in zip(GTS, PREDS):
        sample = ClsDataSample()
        sample.gt_label = np.int64(gt)
        sample.pred_score = _score(pred).numpy()
        evaluator.process([sample])
    res = evaluator.evaluate(10)
    assert res == pytest.approx(dict(accuracy=70.0, mean_class_accuracy=400 / 9))


def test_out_of_range_prediction_is_wrong():
    """A predicted index beyond the classes counts as wrong (not clipped onto a class)."""
    metric = ClsAccuracyMetric()
    metric.dataset_meta = dict(classes=('a', 'b'))
    metric.process(None, [dict(gt_label=1, pred_label=5), dict(gt_label=1, pred_label=1)])
    res = metric.evaluate(2)
    assert res['accuracy'] == pytest.approx(50.0)
    assert res['acc_b'] == pytest.approx(50.0)


def test_errors():
    metric = ClsAccuracyMetric()
    metric.dataset_meta = dict(classes=('a', 'b'))
    metric.process(None, [dict(gt_label=torch.tensor(2), pred_label=torch.tensor(0))])
    with pytest.raises(ValueError, match=r'label 2 is outside \[0, 2\)'):
        metric.evaluate(1)
    with pytest.raises(ValueError, match='neither pred_score nor pred_label'):
        metric.process(None, [dict(gt_label=torch.tensor(0))])
    with pytest.raises(ValueError, match='no gt_label'):
        metric.process(None, [dict(pred_label=torch.tensor(0))])
