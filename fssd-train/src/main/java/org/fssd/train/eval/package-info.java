/**
 * Evaluation of detectors (SPEC §10).
 *
 * <p><b>PASCAL VOC</b>: {@link org.fssd.train.eval.ApAccumulator} (add ground truth and detections
 * per image, then snapshot an {@link org.fssd.train.eval.EvalResult} of per-class {@link
 * org.fssd.train.eval.ClassAp}s and the mAP) with the AP rules of {@link
 * org.fssd.train.eval.ApMethod} (VOC2007 11-point, VOC2010+ all-point); {@link
 * org.fssd.train.eval.EvalTable} prints the per-class table ending in {@code mAP: 0.xxxx}. Result
 * files {@code comp4_det_<set>_<class>.txt}: {@link org.fssd.train.eval.VocResultFiles} writes and
 * reads them, {@link org.fssd.train.eval.VocEvaluation} scores any detector's files against a
 * dataset.
 *
 * <p><b>COCO</b>: {@link org.fssd.train.eval.CocoEvaluator} (the official bbox protocol: AP over
 * IoU 0.50:0.05:0.95 with 101-point interpolation, AP50, AP75, small/medium/large, AR) giving a
 * {@link org.fssd.train.eval.CocoResult}; {@link org.fssd.train.eval.CocoEvaluation} runs it on a
 * COCO dataset as pycocotools does (the annotations' own boxes, areas and crowd flags), and {@link
 * org.fssd.train.eval.CocoResultsFile} writes and reads the standard COCO results JSON.
 *
 * <p><b>Coordinates</b>: detections ({@link org.fssd.train.eval.ScoredBox}, {@link
 * org.fssd.detect.Detection}) and ground truth ({@link org.fssd.data.GtBox}) are both in 0-based
 * pixels of the original image, GT corners inclusive (the frame the datasets of {@code fssd-data}
 * store).
 *
 * <p>Thread safety: the accumulators are synchronized; results are immutable; the file helpers are
 * stateless.
 */
package org.fssd.train.eval;
