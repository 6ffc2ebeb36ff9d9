"""The fully connected autoencoder."""

import torch
from torch import nn

#: Hidden layer widths between the 640-d input and output: 640-128-64-8-64-128-640.
HIDDEN_SIZES = (128, 64, 8, 64, 128)


class AutoEncoder(nn.Module):
    """Dense autoencoder with BatchNorm and ReLU after every hidden layer."""

    def __init__(self, input_size: int = 640, hidden_sizes: tuple[int, ...] = HIDDEN_SIZES):
        super().__init__()
        layers: list[nn.Module] = []
        size = input_size
        for hidden in hidden_sizes:
            layers += [nn.Linear(size, hidden), nn.BatchNorm1d(hidden), nn.ReLU()]
            size = hidden
        layers.append(nn.Linear(size, input_size))
        self.layers = nn.Sequential(*layers)
        self.input_size = input_size
        self.hidden_sizes = tuple(hidden_sizes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)

    def architecture(self) -> dict:
        return {"input_size": self.input_size, "hidden_sizes": list(self.hidden_sizes)}
