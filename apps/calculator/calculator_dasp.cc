// calculator-dasp: the seed's floating-point calculator, server portion (spec 9).
#include <dabs/dasp/main.h>

#include "calc_server.h"

int main(int argc, char** argv) {
  return dabs::dasp::RunDasp(argc, argv, "calculator",
                             [] { return std::make_unique<dabs::calculator::CalcServer>(); });
}
