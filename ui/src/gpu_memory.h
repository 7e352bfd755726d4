// The app's "GPU memory for the model" setting (ModelParams::gpuMemory, the CLI's
// --gpu-mem): what the placement may fill on the GPU with layers, KV cache and, for a
// mixture-of-experts model whose experts stay in RAM, a cache of the most used experts.
// Stored as bytes; 0 is "auto": 90% of what the device has free when the model loads
// (so a desktop's other programs keep a tenth), or the engine's own default (90% of the
// device's memory) when the driver does not say what is free.
#pragma once

#include <QString>
#include <QtGlobal>

// "auto", "" or 0 -> 0; "12 GB", "12G", "12 GiB", "1.5 GB", "512 MB", "4096 KB", "2 TB", or
// a byte count. K, M, G and T count in 1024s with or without "B"/"iB" (as --gpu-mem does
// and as the app shows sizes). False with `error` (one sentence) for anything else: an
// unknown unit, a negative or non-finite number, less than 1 MB, more than 1024 TB.
bool parseGpuMemory(const QString& text, quint64& bytes, QString& error);

// What the settings field shows: "auto", "12 GB", "1.5 GB", "512 MB" (parses back to the
// same bytes where the size is a whole number of MB).
QString formatGpuMemory(quint64 bytes);

// The budget the engine gets for a setting: the setting itself, or for 0 ("auto") 90%
// of `deviceFreeBytes` (0 when that is unknown: the engine's default).
quint64 gpuMemoryBudget(quint64 setting, quint64 deviceFreeBytes);
