# The Cityscapes classes SYNTHIA has: all but terrain, truck and train (16), and the 13 of them
# without wall, fence and pole; SubsetIoUMetric reports mIoU16 and mIoU13 from them:
#   val_evaluator = dict(type='SubsetIoUMetric', iou_metrics=['mIoU'],
#                        subsets=dict(mIoU16=classes_16, mIoU13=classes_13))
classes_16 = ['road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light',
              'traffic sign', 'vegetation', 'sky', 'person', 'rider', 'car', 'bus',
              'motorcycle', 'bicycle']
classes_13 = ['road', 'sidewalk', 'building', 'traffic light', 'traffic sign', 'vegetation',
              'sky', 'person', 'rider', 'car', 'bus', 'motorcycle', 'bicycle']
