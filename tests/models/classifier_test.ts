// The shipped Fashion-MNIST classifier: forward parity with the same network in PyTorch, the shipped
// weights' keys and accuracy, and its input checks.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  CLASSIFIER_FEATURES,
  FashionMnistClassifier,
  loadClassifier,
  PRETRAINED_CLASSIFIER,
} from "../../models/classifier/fashion_mnist.ts";
import * as t from "../../mod.ts";
import { loadFashionMnist } from "../../tasks/data/fashion_mnist.ts";
import { datasetAccuracy } from "../../tasks/metrics/accuracy.ts";
import { assertClose, runTorch } from "../torch_ref.ts";

/** The network as models/classifier/fashion_mnist.ts documents it. */
const TORCH_CLASSIFIER = `
from safetensors_io import read_safetensors
class FashionMnistClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16)
        self.conv2, self.bn2 = nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32)
        self.conv3, self.bn3 = nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64)
        self.fc1, self.fc2 = nn.Linear(64 * 4 * 4, 128), nn.Linear(128, 10)
    def features(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = F.max_pool2d(F.relu(self.bn3(self.conv3(x))), 2)
        return F.relu(self.fc1(x.flatten(1)))
    def forward(self, x):
        return self.fc2(F.dropout(self.features(x), 0.3, self.training))
def load(path):
    net = FashionMnistClassifier()
    net.load_state_dict({k: v.float() for k, v in read_safetensors(path).items()}, strict=True)
    return net
`;

Deno.test("FashionMnistClassifier matches the same network in PyTorch: features and logits, eval and train mode", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcgan-classifier-" });
  try {
    t.manualSeed(3);
    using net = new FashionMnistClassifier();
    // a few training-mode passes move the BatchNorm statistics away from 0 and 1
    for (let i = 0; i < 3; i++) {
      t.noGrad(() => t.tidy(() => net.forward(t.randn([16, 1, 32, 32]).mul(0.8).add(0.1))));
    }
    const path = join(dir, "c.safetensors");
    await t.saveStateDict(net, path);
    using x = t.tidy(() => t.rand([6, 1, 32, 32]).mul(2).sub(1));
    const expected = await runTorch(
      `${TORCH_CLASSIFIER}
net = load(${JSON.stringify(path)})
with torch.no_grad():
    net.eval()
    out['features'] = net.features(inp['x'])
    out['logits'] = net(inp['x'])
    net.train()  # batch statistics (this updates the running ones, so it comes last)
    out['train_features'] = net.features(inp['x'])
`,
      { x },
    );
    net.eval();
    using features = t.noGrad(() => net.features(x));
    using logits = t.noGrad(() => net.logits(features));
    assert.deepEqual(features.shape, [6, CLASSIFIER_FEATURES]);
    assertClose(features, expected.features, { rtol: 1e-4, atol: 1e-4 }, "eval features");
    assertClose(logits, expected.logits, { rtol: 1e-4, atol: 1e-4 }, "eval logits");
    using forward = t.noGrad(() => net.forward(x));
    assertClose(forward, expected.logits, { rtol: 1e-4, atol: 1e-4 }, "forward");
    net.train();
    using trainFeatures = t.noGrad(() => net.features(x));
    assertClose(trainFeatures, expected.train_features, { rtol: 1e-4, atol: 1e-4 }, "train-mode features");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the shipped classifier loads strictly here and in PyTorch, and classifies Fashion-MNIST test images", async () => {
  using net = await loadClassifier();
  assert.equal(net.training, false);
  // 1,000 test images: the full 10,000 are in models/pretrained/README.md
  const test = await loadFashionMnist({ size: 32, train: false });
  const n = 1000;
  const head = {
    ...test,
    count: n,
    images: test.images.subarray(0, n * 1024),
    labels: test.labels!.subarray(0, n),
  };
  const ours = datasetAccuracy(net, head, { batchSize: 250 });
  assert.ok(ours > 0.88, `accuracy on the first ${n} test images is ${ours}`);
  const images = new Float32Array(8 * 1024);
  head.images.subarray(0, 8 * 1024).forEach((v, i) => (images[i] = v / 127.5 - 1));
  using x = t.tensor(images, { shape: [8, 1, 32, 32] });
  const expected = await runTorch(
    `${TORCH_CLASSIFIER}
net = load(${JSON.stringify(PRETRAINED_CLASSIFIER.pathname)}).eval()
with torch.no_grad():
    out['logits'] = net(inp['x'])
`,
    { x },
  );
  using logits = t.noGrad(() => net.forward(x));
  assertClose(logits, expected.logits, { rtol: 1e-4, atol: 1e-4 }, "shipped weights' logits");
  console.log(`shipped classifier: ${(100 * ours).toFixed(1)}% of the first ${n} test images`);
});

Deno.test("the classifier refuses RGB images and resizes other sizes to 32", () => {
  using net = new FashionMnistClassifier().eval();
  using rgb = t.zeros([2, 3, 32, 32]);
  assert.throws(
    () => net.features(rgb),
    (e: Error) => e instanceof TypeError && /1-channel/.test(e.message) && /--inception/.test(e.message),
  );
  using big = t.zeros([2, 1, 64, 64]);
  using features = t.noGrad(() => net.features(big));
  assert.deepEqual(features.shape, [2, CLASSIFIER_FEATURES]);
});

Deno.test("loadClassifier names the missing file and the task that makes one", async () => {
  await assert.rejects(
    () => loadClassifier("/nonexistent/c.safetensors"),
    (e: Error) => /\/nonexistent\/c\.safetensors/.test(e.message) && /train-classifier/.test(e.message),
  );
});
