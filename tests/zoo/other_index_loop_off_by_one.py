"""Post-processing detections with a loop written 1-based: the last iteration asks for box 5
of 5 boxes (valid indices 0..4).

[truth]
family = "other"
numbers = { index = 5, dim = 0, size = 5 }
culprit = "for i in range(1, num_boxes + 1):"
fix_values = { max_index = 4 }
"""
import torch


def clip_boxes(boxes, width, height):
    num_boxes = boxes.size(0)
    clipped = []
    for i in range(1, num_boxes + 1):
        x1, y1, x2, y2 = boxes[i]
        clipped.append([x1.clamp(0, width), y1.clamp(0, height), x2.clamp(0, width), y2.clamp(0, height)])
    return clipped


detections = torch.rand(5, 4) * 120
print(clip_boxes(detections, 100, 100))
