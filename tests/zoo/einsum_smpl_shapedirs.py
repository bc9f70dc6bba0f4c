"""A body model whose shape basis has 300 components, blended with 10 shape coefficients.

[truth]
family = "einsum"
numbers = { subscript = "l", size = 300, operand = 1, previous_size = 10 }
culprit = "return torch.einsum(\"bl,mkl->bmk\", betas, shape_disps)"
fix_values = { subscript_size = 10 }
"""
import torch
import torch.nn as nn


def blend_shapes(betas, shape_disps):
    return torch.einsum("bl,mkl->bmk", betas, shape_disps)


class BodyModel(nn.Module):
    def __init__(self, n_vertices=20, n_components=300):
        super().__init__()
        self.v_template = nn.Parameter(torch.zeros(n_vertices, 3))
        self.shapedirs = nn.Parameter(torch.randn(n_vertices, 3, n_components))

    def forward(self, betas):
        return self.v_template + blend_shapes(betas, self.shapedirs)


vertices = BodyModel()(torch.zeros(2, 10))
