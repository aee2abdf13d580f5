throw new Error("boom from the manifest");
