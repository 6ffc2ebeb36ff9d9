import pytest
import torch

from firstshot.model import AutoEncoder
from firstshot.train_step import ExplicitStep, autograd_step


def trained(step_kind: str, hidden_sizes=(128, 64, 8, 64, 128), steps: int = 25):
    torch.manual_seed(3)
    model = AutoEncoder(input_size=640, hidden_sizes=hidden_sizes).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001, fused=True)
    if step_kind == "explicit":
        step = ExplicitStep(model, optimizer)
    else:

        def step(batch):
            return autograd_step(model, optimizer, batch)

    data = torch.randn(steps * 64, 640, generator=torch.Generator().manual_seed(4)) * 5 - 30
    losses = torch.stack([step(batch) for batch in data.split(64)])
    return model, optimizer, losses


@pytest.mark.parametrize("hidden_sizes", [(128, 64, 8, 64, 128), (32, 16)])
def test_explicit_step_equals_autograd_bitwise(hidden_sizes):
    model, optimizer, losses = trained("autograd", hidden_sizes)
    explicit_model, explicit_optimizer, explicit_losses = trained("explicit", hidden_sizes)

    assert torch.equal(losses, explicit_losses)
    reference = model.state_dict()
    for name, value in explicit_model.state_dict().items():
        # Weights, biases, running means and variances and batch counts.
        assert torch.equal(value, reference[name]), name
    for param, explicit_param in zip(model.parameters(), explicit_model.parameters(), strict=True):
        state, explicit_state = optimizer.state[param], explicit_optimizer.state[explicit_param]
        assert state.keys() == explicit_state.keys()
        for key in state:
            assert torch.equal(state[key], explicit_state[key]), key


def test_explicit_step_reuses_restored_state():
    model, optimizer, _ = trained("explicit", steps=3)
    restored = torch.optim.Adam(model.parameters(), lr=0.001, fused=True)
    restored.load_state_dict(optimizer.state_dict())
    step = ExplicitStep(model, restored)
    assert all(value.item() == 3 for value in step.steps)


def test_explicit_step_rejects_other_optimizers():
    model = AutoEncoder()
    with pytest.raises(ValueError, match="fused=True"):
        ExplicitStep(model, torch.optim.Adam(model.parameters(), fused=False))
    with pytest.raises(ValueError, match="fused=True"):
        ExplicitStep(model, torch.optim.Adam(model.parameters(), fused=True, weight_decay=0.1))
