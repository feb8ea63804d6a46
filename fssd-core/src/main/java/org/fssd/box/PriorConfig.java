package org.fssd.box;
// TEMPORARY stand-in until the box branch lands (same API).
public final class PriorConfig {
  private final int imageSize; private final int[] featureMaps; private final double[] steps, minSizes, maxSizes; private final int[][] ratios;
  private PriorConfig(int s, int[] f, double[] st, double[] mi, double[] ma, int[][] r) { imageSize=s; featureMaps=f; steps=st; minSizes=mi; maxSizes=ma; ratios=r; }
  public static PriorConfig voc300() { return new PriorConfig(300, new int[]{38,19,10,5,3,1}, new double[]{8,16,32,64,100,300}, new double[]{30,60,111,162,213,264}, new double[]{60,111,162,213,264,315}, new int[][]{{2,3},{2,3},{2,3},{2,3},{2},{2}}); }
  public static PriorConfig voc512() { return new PriorConfig(512, new int[]{64,32,16,8,4,2,1}, new double[]{8,16,32,64,128,256,512}, new double[]{35.84,76.8,153.6,230.4,307.2,384.0,460.8}, new double[]{76.8,153.6,230.4,307.2,384.0,460.8,537.6}, new int[][]{{2,3},{2,3},{2,3},{2,3},{2,3},{2},{2}}); }
  public static PriorConfig coco300() { return voc300(); }
  public static PriorConfig coco512() { return voc512(); }
  public int imageSize() { return imageSize; }
  public int numLevels() { return featureMaps.length; }
  public int[] featureMaps() { return featureMaps.clone(); }
  public int priorsPerLocation(int level) { return 2 + 2 * ratios[level].length; }
  public int numPriors() { int p = 0; for (int k = 0; k < featureMaps.length; k++) p += featureMaps[k]*featureMaps[k]*priorsPerLocation(k); return p; }
}
