/**
 * Datasets for training and evaluating FSSD (SPEC §10 formats): the {@link
 * org.fssd.data.DetectionDataset} interface and its value types ({@link org.fssd.data.Annotation},
 * {@link org.fssd.data.GtBox}, {@link org.fssd.data.Sample}); PASCAL VOC ({@link
 * org.fssd.data.VocDataset}), COCO ({@link org.fssd.data.CocoDataset}), a simple custom format
 * ({@link org.fssd.data.CustomDataset}: folder of images + XML, or CSV) and synthetic shapes
 * ({@link org.fssd.data.ShapesDataset}); bad input handling ({@link org.fssd.data.BadInputPolicy},
 * {@link org.fssd.data.DataProblems}); and the training batch iterator ({@link
 * org.fssd.data.batch.FssdDataSetIterator}).
 *
 * <p>Annotation boxes are in pixels of the original image. Augmentation lives in {@link
 * org.fssd.data.augment} (SPEC §8), target matching in {@link org.fssd.data.target} (SPEC §5).
 *
 * <p>Thread safety: datasets are immutable after construction and safe to read from many threads;
 * builders are not thread-safe; the iterator is used from one consumer thread.
 */
package org.fssd.data;
